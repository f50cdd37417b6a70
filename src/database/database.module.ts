import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { AppConfig, MigrationsConfig } from '../config/app-config';
import { buildDataSourceOptions, ensureDatabaseDirectory } from './data-source-options.factory';
import { DataSourceSwitch } from './data-source-switch';
import { StartupReconnection } from './startup-reconnection';
import { openAndMigrateOrDefer } from './deferred-start';
import { openRequiringCurrent } from './migrator/startup-migration';
import { SchemaStatusService } from './schema-status.service';
import { DatabaseTopology } from './topology/database-topology';
import { DatabaseTopologyModule } from './topology/database-topology.module';
import { TransactionRunner } from './transaction-runner';
import { TypeOrmNestLogger } from './typeorm-nest.logger';

/**
 * What opening the database does to its schema: `migrate` (the service), `require-current`
 * (CLI commands that must not change the schema: refused unless it is this build's), or
 * `as-is` (`upgrade`/`rollback`, which back up before they change the schema themselves).
 */
export type SchemaOnStart = 'migrate' | 'require-current' | 'as-is';

export interface DatabaseModuleOptions {
  schemaOnStart: SchemaOnStart;
  /** The features' entities, handed down by the app's wiring: the database layer knows no feature. */
  entities: DataSourceOptions['entities'];
}

/**
 * The app's data source, on the current primary of the topology. At start the schema is
 * brought up to date by SchemaMigrator (lock, checksums, baseline), never `synchronize`;
 * a refusal (history does not match, unknown schema) is final, not retried. The service
 * on MySQL starts even when the primary cannot be reached (see deferred-start.ts); the
 * CLI commands fail fast.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        DatabaseTopologyModule,
        TypeOrmModule.forRootAsync({
          imports: [DatabaseTopologyModule],
          inject: [AppConfig, DatabaseTopology],
          useFactory: async (config: AppConfig, topology: DatabaseTopology) => {
            // The stored topology (file, or etcd in cluster mode) says where the primary is now.
            await topology.ready();
            ensureDatabaseDirectory(config.database);
            return {
              ...buildDataSourceOptions({
                database: config.database,
                // After a failover the state file, not DB_PRIMARY_URL, says where the primary is.
                endpoint: topology.replicated ? topology.primaryEndpoint() : undefined,
                runMigrationsOnInit: false,
                logger: new TypeOrmNestLogger(),
                entities: options.entities,
              }),
              retryAttempts: 3,
              retryDelay: 1000,
              // The factory below opens the data source itself, or leaves it closed on purpose.
              manualInitialization: true,
              // Connection problems are worth a retry; a schema refusal or a failed migration is not.
              toRetry: (error: unknown) => !(error instanceof DomainError),
              // Carried to dataSourceFactory below, which Nest gives the options only.
              schemaOnStart: options.schemaOnStart,
              migrationsConfig: config.migrations,
            };
          },
          dataSourceFactory: async (typeOrmOptions) => {
            const { schemaOnStart, migrationsConfig, ...dataSourceOptions } = typeOrmOptions as DataSourceOptions & {
              schemaOnStart: SchemaOnStart;
              migrationsConfig: MigrationsConfig;
            };
            const dataSource = new DataSource(dataSourceOptions);
            if (schemaOnStart === 'migrate') return openAndMigrateOrDefer(dataSource, migrationsConfig);
            if (schemaOnStart === 'require-current') return openRequiringCurrent(dataSource, migrationsConfig);
            return dataSource.initialize();
          },
        }),
      ],
      providers: [SchemaStatusService, TransactionRunner, DataSourceSwitch, StartupReconnection],
      exports: [SchemaStatusService, TransactionRunner, DataSourceSwitch, DatabaseTopologyModule],
    };
  }
}
