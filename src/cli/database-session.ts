import { DataSource, DataSourceOptions } from 'typeorm';
import { SystemClock } from '../common/time/clock';
import type { AppConfig } from '../config/app-config';
import { buildDataSourceOptions, ensureDatabaseDirectory } from '../database/data-source-options.factory';
import { migrationLockFor } from '../database/migrator/migration-lock';
import { SchemaMigrator } from '../database/migrator/schema-migrator';
import { DatabaseTopology } from '../database/topology/database-topology';
import { TopologyFile } from '../database/topology/topology-file';

/**
 * A bare connection to the database the service uses now (after a failover, the promoted
 * server), with no migration run on connect: what the `db` commands inspect and change.
 */
export async function withMigrator<T>(config: AppConfig, work: (migrator: SchemaMigrator, dataSource: DataSource) => Promise<T>): Promise<T> {
  ensureDatabaseDirectory(config.database);
  const topology = new DatabaseTopology(config, new TopologyFile(config), new SystemClock());
  const options = buildDataSourceOptions({
    database: config.database,
    endpoint: topology.replicated ? topology.primaryEndpoint() : undefined,
    runMigrationsOnInit: false,
  });
  const dataSource = await new DataSource({ ...options, logging: false } as DataSourceOptions).initialize();
  try {
    return await work(migratorFor(dataSource, config), dataSource);
  } finally {
    await dataSource.destroy();
  }
}

export function migratorFor(dataSource: DataSource, config: AppConfig): SchemaMigrator {
  return new SchemaMigrator(dataSource, migrationLockFor(dataSource), config.migrations.lockTimeoutMs);
}
