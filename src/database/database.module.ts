import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { buildDataSourceOptions, ensureDatabaseDirectory } from './data-source-options.factory';
import { SchemaStatusService } from './schema-status.service';
import { TransactionRunner } from './transaction-runner';
import { TypeOrmNestLogger } from './typeorm-nest.logger';

/** The app's data source: pending migrations are applied at start, never `synchronize`. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        ensureDatabaseDirectory(config.database);
        return {
          ...buildDataSourceOptions({
            database: config.database,
            runMigrationsOnInit: true,
            logger: new TypeOrmNestLogger(),
          }),
          retryAttempts: 3,
          retryDelay: 1000,
        };
      },
    }),
  ],
  providers: [SchemaStatusService, TransactionRunner],
  exports: [SchemaStatusService, TransactionRunner],
})
export class DatabaseModule {}
