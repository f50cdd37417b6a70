import { hostname } from 'node:os';
import type { DataSource, QueryRunner } from 'typeorm';
import { MIGRATIONS_TABLE, SCHEMA_HISTORY_TABLE } from '../data-source-options.factory';
import type { KnownMigration } from './known-migrations';

/**
 * What happened to a migration, newest last:
 * - started: up() or down() began (engines that commit DDL as they go only), so a crash
 *   half-way is seen at the next start;
 * - applied / baseline: recorded as applied (run, or found already in the schema);
 * - adopted: applied by a logic-ha version that kept no checksums; this build's recorded;
 * - repaired: an operator accepted a changed checksum, a failed attempt, or a migration
 *   finished by hand (`db repair`);
 * - failed: up() or down() threw; on MariaDB/MySQL part of it may have been committed;
 * - reverted: down() ran.
 */
export type HistoryAction = 'started' | 'applied' | 'baseline' | 'adopted' | 'repaired' | 'failed' | 'reverted';

export interface HistoryRecord {
  migration: string;
  action: HistoryAction;
  checksum: string | null;
  at: Date;
  detail: string | null;
}

/** A migration's newest event, and its newest event that recorded a checksum. */
export interface MigrationRecords {
  latest: HistoryRecord;
  checksummed: HistoryRecord | null;
}

export interface AppliedMigration {
  name: string;
  timestamp: number;
}

/** Events that record the checksum of the migration as it is in the schema. */
const CHECKSUMMED_ACTIONS = new Set<HistoryAction>(['applied', 'baseline', 'adopted', 'repaired']);

/** Folds the history, oldest first, into each migration's newest event and newest checksum. */
export function foldHistory(records: HistoryRecord[]): Map<string, MigrationRecords> {
  const folded = new Map<string, MigrationRecords>();
  for (const record of records) {
    const checksummed =
      CHECKSUMMED_ACTIONS.has(record.action) && record.checksum !== null
        ? record
        : (folded.get(record.migration)?.checksummed ?? null);
    folded.set(record.migration, { latest: record, checksummed });
  }
  return folded;
}

/** Who did it, for the audit trail: the host and process. */
const ACTOR = `${hostname()}:${process.pid}`.slice(0, 255);

/**
 * The two bookkeeping tables: TypeORM's `logic_ha_migrations` (which migrations are
 * applied, in TypeORM's own layout) and logic-ha's append-only `logic_ha_schema_history`
 * (every event with its checksum, time, duration and actor, as Flyway's history table).
 */
export class SchemaHistory {
  private ensured = false;

  constructor(private readonly dataSource: DataSource) {}

  get transactionalDdl(): boolean {
    return this.isSqlite;
  }

  private get isSqlite(): boolean {
    return this.dataSource.options.type === 'better-sqlite3';
  }

  private quote(name: string): string {
    return this.isSqlite ? `"${name}"` : `\`${name}\``;
  }

  async tablesExist(): Promise<{ migrations: boolean; history: boolean }> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return {
        migrations: await runner.hasTable(MIGRATIONS_TABLE),
        history: await runner.hasTable(SCHEMA_HISTORY_TABLE),
      };
    } finally {
      await runner.release();
    }
  }

  /** Creates the tables that are missing. Only then: on MariaDB even `IF NOT EXISTS` is binlogged. */
  async ensureTables(): Promise<void> {
    if (this.ensured) return;
    const exist = await this.tablesExist();
    this.ensured = exist.migrations && exist.history;
    if (this.ensured) return;
    const statements = this.isSqlite
      ? [
          `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "timestamp" bigint NOT NULL, "name" varchar NOT NULL)`,
          `CREATE TABLE IF NOT EXISTS "${SCHEMA_HISTORY_TABLE}" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "migration" varchar(255) NOT NULL,
            "action" varchar(16) NOT NULL, "checksum" varchar(64), "at" datetime(3) NOT NULL, "durationMs" integer, "actor" varchar(255), "detail" text)`,
        ]
      : [
          `CREATE TABLE IF NOT EXISTS \`${MIGRATIONS_TABLE}\` (\`id\` int NOT NULL AUTO_INCREMENT, \`timestamp\` bigint NOT NULL, \`name\` varchar(255) NOT NULL, PRIMARY KEY (\`id\`)) ENGINE=InnoDB`,
          `CREATE TABLE IF NOT EXISTS \`${SCHEMA_HISTORY_TABLE}\` (\`id\` bigint NOT NULL AUTO_INCREMENT, \`migration\` varchar(255) NOT NULL,
            \`action\` varchar(16) NOT NULL, \`checksum\` char(64) NULL, \`at\` datetime(3) NOT NULL, \`durationMs\` int NULL,
            \`actor\` varchar(255) NULL, \`detail\` text NULL, PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
        ];
    for (const statement of statements) await this.dataSource.query(statement);
    this.ensured = true;
  }

  /** Applied migrations, oldest first; none when the table does not exist yet. */
  async applied(): Promise<AppliedMigration[]> {
    if (!(await this.tablesExist()).migrations) return [];
    const rows: { name: string; timestamp: string | number }[] = await this.dataSource.query(
      `SELECT ${this.quote('name')}, ${this.quote('timestamp')} FROM ${this.quote(MIGRATIONS_TABLE)} ORDER BY ${this.quote('timestamp')}, ${this.quote('id')}`,
    );
    return rows.map((row) => ({ name: row.name, timestamp: Number(row.timestamp) }));
  }

  /** The newest event of each migration, and its newest checksum. */
  async latestRecords(): Promise<Map<string, MigrationRecords>> {
    if (!(await this.tablesExist()).history) return new Map();
    const rows: (Omit<HistoryRecord, 'at'> & { at: string | Date })[] = await this.dataSource.query(
      `SELECT ${['migration', 'action', 'checksum', 'at', 'detail'].map((c) => this.quote(c)).join(', ')} FROM ${this.quote(SCHEMA_HISTORY_TABLE)} ORDER BY ${this.quote('id')}`,
    );
    // SQLite returns the stored UTC text; MariaDB a Date (the connection's time zone is UTC).
    return foldHistory(
      rows.map((row) => ({
        ...row,
        at: typeof row.at === 'string' ? new Date(`${row.at.replace(' ', 'T')}Z`) : row.at,
      })),
    );
  }

  /** True when `name` is listed as applied: read inside a step's own transaction, just before it runs. */
  async isApplied(runner: QueryRunner, name: string): Promise<boolean> {
    const rows = (await runner.query(
      `SELECT COUNT(*) AS n FROM ${this.quote(MIGRATIONS_TABLE)} WHERE ${this.quote('name')} = ?`,
      [name],
    )) as { n: number | string }[];
    return Number(rows[0].n) > 0;
  }

  /** Marks a migration applied (run or baselined) inside the caller's transaction. */
  async markApplied(
    runner: QueryRunner,
    migration: KnownMigration,
    action: 'applied' | 'baseline' | 'repaired',
    durationMs: number | null,
    detail?: string,
  ): Promise<void> {
    await runner.query(
      `INSERT INTO ${this.quote(MIGRATIONS_TABLE)} (${this.quote('timestamp')}, ${this.quote('name')}) VALUES (?, ?)`,
      [migration.timestamp, migration.name],
    );
    await this.record(runner, { migration: migration.name, action, checksum: migration.checksum, durationMs, detail });
  }

  async markReverted(
    runner: QueryRunner,
    migration: KnownMigration,
    durationMs: number | null,
    detail?: string,
  ): Promise<void> {
    await runner.query(`DELETE FROM ${this.quote(MIGRATIONS_TABLE)} WHERE ${this.quote('name')} = ?`, [migration.name]);
    await this.record(runner, {
      migration: migration.name,
      action: 'reverted',
      checksum: migration.checksum,
      durationMs,
      detail,
    });
  }

  async record(
    runner: QueryRunner | DataSource,
    event: {
      migration: string;
      action: HistoryAction;
      checksum: string | null;
      durationMs?: number | null;
      detail?: string | null;
    },
  ): Promise<void> {
    const columns = ['migration', 'action', 'checksum', 'at', 'durationMs', 'actor', 'detail'];
    await runner.query(
      `INSERT INTO ${this.quote(SCHEMA_HISTORY_TABLE)} (${columns.map((c) => this.quote(c)).join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        event.migration,
        event.action,
        event.checksum,
        this.timestamp(new Date()),
        event.durationMs ?? null,
        ACTOR,
        event.detail?.slice(0, 4000) ?? null,
      ],
    );
  }

  /** UTC with milliseconds, in the form both engines store and compare as text or datetime. */
  private timestamp(at: Date): string {
    return at.toISOString().replace('T', ' ').replace('Z', '');
  }
}
