import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions, Logger as TypeOrmLoggerInterface } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import type { DatabaseConfig, MysqlDatabaseConfig } from '../config/app-config';
import type { MysqlEndpoint } from '../config/mysql-url';

/** TypeORM's list of applied migrations (its layout, so TypeORM tools still read it). */
export const MIGRATIONS_TABLE = 'logic_ha_migrations';
/** logic-ha's audit trail of every migration event, with checksums (see src/database/migrator). */
export const SCHEMA_HISTORY_TABLE = 'logic_ha_schema_history';
/** SQLite waits this long for a competing writer (the migration CLI, a backup) before failing. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

export interface DataSourceOptionsInput {
  database: DatabaseConfig;
  /** Which server to connect to; defaults to the configured primary. Failover passes the promoted one. */
  endpoint?: MysqlEndpoint;
  /**
   * TypeORM's own runner on initialize: no lock, no checksums. Only for test fixtures and
   * benchmarks that need a schema; the app and the CLI use SchemaMigrator.
   */
  runMigrationsOnInit: boolean;
  logger?: TypeOrmLoggerInterface;
  /** The entity classes, handed down by the top-level wiring (src/entities.ts); none for raw SQL. */
  entities?: DataSourceOptions['entities'];
}

/**
 * The one place that turns configuration into TypeORM options, used by the app and by
 * the migration CLI so both always see the same schema history. `synchronize` is never on.
 */
export function buildDataSourceOptions(input: DataSourceOptionsInput): DataSourceOptions {
  const common = {
    entities: input.entities ?? [],
    migrations: MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    // Each migration in its own transaction: SQLite rolls a failed one back whole;
    // MySQL commits DDL implicitly anyway, so "all" would promise what it cannot keep.
    migrationsTransactionMode: 'each' as const,
    migrationsRun: input.runMigrationsOnInit,
    synchronize: false,
    logger: input.logger,
    logging: ['error', 'warn', 'migration'] as ('error' | 'warn' | 'migration')[],
  };
  if (input.database.type === 'sqlite') {
    return {
      ...common,
      type: 'better-sqlite3',
      database: input.database.sqlitePath,
      enableWAL: true,
      timeout: SQLITE_BUSY_TIMEOUT_MS,
      prepareDatabase: (db: { pragma(sql: string): unknown }) => {
        db.pragma('synchronous = NORMAL');
      },
    };
  }
  return { ...common, ...mysqlConnectionOptions(input.database, input.endpoint ?? input.database.primary) };
}

function mysqlConnectionOptions(config: MysqlDatabaseConfig, endpoint: MysqlEndpoint) {
  return {
    type: 'mysql' as const,
    host: endpoint.host,
    port: endpoint.port,
    username: endpoint.user,
    password: endpoint.password,
    database: endpoint.database,
    charset: 'utf8mb4_general_ci',
    // Times are stored and read as UTC whatever the server's or the host's time zone.
    timezone: 'Z',
    connectTimeout: config.connectTimeoutMs,
    poolSize: config.poolSize,
    extra: { connectionLimit: config.poolSize, waitForConnections: true, queueLimit: 0 },
  };
}

/** SQLite creates the file but not its folder. */
export function ensureDatabaseDirectory(database: DatabaseConfig): void {
  if (database.type === 'sqlite') mkdirSync(dirname(database.sqlitePath), { recursive: true });
}
