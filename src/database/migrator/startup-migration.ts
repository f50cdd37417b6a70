import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { MigrationsConfig } from '../../config/app-config';
import { migrationLockFor } from './migration-lock';
import { SchemaMigrator } from './schema-migrator';

/**
 * What the service does at start, on every node: take the migration lock (a node starting
 * at the same moment waits, then finds nothing pending), refuse to run when the history
 * does not match this build, adopt a logic-solution database only when configured, and
 * apply what is pending. The data source is closed when this throws.
 */
export async function migrateAtStartup(dataSource: DataSource, config: MigrationsConfig): Promise<void> {
  const logger = new Logger('Migrations');
  try {
    const migrator = new SchemaMigrator(dataSource, migrationLockFor(dataSource), config.lockTimeoutMs);
    const result = await migrator.migrate({ baseline: config.baselineOnStart });
    if (result.applied.length > 0 || result.baselined) {
      logger.log({ msg: 'schema up to date', baselined: result.baselined?.version ?? null, applied: result.applied.map((step) => step.migration) });
    }
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }
}
