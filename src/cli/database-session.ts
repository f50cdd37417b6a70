import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { buildDataSourceOptions, ensureDatabaseDirectory } from '../database/data-source-options.factory';
import { migrationLockFor } from '../database/migrator/migration-lock';
import { SchemaMigrator } from '../database/migrator/schema-migrator';
import { withTopology } from './topology-session';

/**
 * A bare connection to the database the service uses now (after a failover, the promoted
 * server), with no migration run on connect: what the `db` commands inspect and change.
 */
export async function withMigrator<T>(
  config: AppConfig,
  work: (migrator: SchemaMigrator, dataSource: DataSource) => Promise<T>,
): Promise<T> {
  ensureDatabaseDirectory(config.database);
  const endpoint = await withTopology(config, (topology) =>
    topology.replicated ? topology.primaryEndpoint() : undefined,
  );
  const options = buildDataSourceOptions({ database: config.database, endpoint, runMigrationsOnInit: false });
  const dataSource = await new DataSource({ ...options, logging: false }).initialize();
  try {
    return await work(migratorFor(dataSource, config), dataSource);
  } finally {
    await dataSource.destroy();
  }
}

export function migratorFor(dataSource: DataSource, config: AppConfig): SchemaMigrator {
  return new SchemaMigrator(dataSource, migrationLockFor(dataSource), config.migrations.lockTimeoutMs);
}
