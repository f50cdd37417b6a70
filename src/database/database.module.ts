import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { buildDataSourceOptions, ensureDatabaseDirectory } from './data-source-options.factory';
import { DataSourceSwitch } from './data-source-switch';
import { SchemaStatusService } from './schema-status.service';
import { DatabaseTopology } from './topology/database-topology';
import { DatabaseTopologyModule } from './topology/database-topology.module';
import { TransactionRunner } from './transaction-runner';
import { TypeOrmNestLogger } from './typeorm-nest.logger';

/**
 * The app's data source, on the current primary of the topology: pending migrations are
 * applied at start, never `synchronize`.
 */
@Global()
@Module({
  imports: [
    DatabaseTopologyModule,
    TypeOrmModule.forRootAsync({
      imports: [DatabaseTopologyModule],
      inject: [AppConfig, DatabaseTopology],
      useFactory: (config: AppConfig, topology: DatabaseTopology) => {
        ensureDatabaseDirectory(config.database);
        return {
          ...buildDataSourceOptions({
            database: config.database,
            // After a failover the state file, not DB_PRIMARY_URL, says where the primary is.
            endpoint: topology.replicated ? topology.primaryEndpoint() : undefined,
            runMigrationsOnInit: true,
            logger: new TypeOrmNestLogger(),
          }),
          retryAttempts: 3,
          retryDelay: 1000,
        };
      },
    }),
  ],
  providers: [SchemaStatusService, TransactionRunner, DataSourceSwitch],
  exports: [SchemaStatusService, TransactionRunner, DataSourceSwitch, DatabaseTopologyModule],
})
export class DatabaseModule {}
