import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { MigrationsConfig } from '../../config/app-config';
import { messageOf } from '../../common/errors/error-message';
import { serverUtcOffsetMinutes, timeZoneWarning } from '../server-time-zone';
import { type HeldLock, type MigrationLock, migrationLockFor } from './migration-lock';
import { refuseUnlessCurrent } from './migration-refusals';
import { SchemaMigrator } from './schema-migrator';

/**
 * What the service does at start, on every node: take the migration lock (a node starting
 * at the same moment waits, then finds nothing pending), open the data source, refuse to
 * run when the history does not match this build, adopt a logic-solution database only
 * when configured, and apply what is pending. On SQLite the lock is taken before the file
 * is opened: `rollback --restore` renames a new file over the path while holding it, and a
 * connection opened earlier would go on reading the old one. The data source is closed
 * when this throws. `connectTimeoutMs` bounds the lock's connection, the first to reach
 * the server (see deferred-start.ts).
 */
export async function openAndMigrate(
  dataSource: DataSource,
  config: MigrationsConfig,
  options: { connectTimeoutMs?: number } = {},
): Promise<DataSource> {
  const lock = await migrationLockFor(dataSource, options).acquire(config.lockTimeoutMs);
  try {
    await dataSource.initialize();
    const migrator = new SchemaMigrator(dataSource, alreadyHeld(lock), config.lockTimeoutMs);
    const result = await migrator.migrate({ baseline: config.baselineOnStart });
    if (result.applied.length > 0 || result.baselined) {
      new Logger('Migrations').log({
        msg: 'schema up to date',
        baselined: result.baselined?.version ?? null,
        applied: result.applied.map((step) => step.migration),
      });
    }
    await warnUnlessUtc(dataSource);
    return dataSource;
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw error;
  } finally {
    await lock.release();
  }
}

/** Advice only: a server that cannot say its time zone is no reason not to start. */
async function warnUnlessUtc(dataSource: DataSource): Promise<void> {
  const logger = new Logger('Database');
  try {
    const warning = timeZoneWarning(await serverUtcOffsetMinutes(dataSource));
    if (warning) logger.warn(warning);
  } catch (error) {
    logger.warn({ msg: "could not read the database server's time zone", error: messageOf(error) });
  }
}

/** The lock this start already holds, lent to the migrator, which must not release it. */
function alreadyHeld(lock: HeldLock): MigrationLock {
  return { acquire: async () => ({ assertHeld: () => lock.assertHeld(), release: async () => undefined }) };
}

/**
 * For the CLI commands that use the schema but are not there to change it: open the data
 * source and refuse unless the schema is exactly this build's. Reads only, takes no lock:
 * a rollback must not be undone by `backup list` (issue 14), and a half-migrated database
 * must not be written by an older or newer layout. The data source is closed when this throws.
 */
export async function openRequiringCurrent(dataSource: DataSource, config: MigrationsConfig): Promise<DataSource> {
  await dataSource.initialize();
  try {
    refuseUnlessCurrent(
      await new SchemaMigrator(dataSource, migrationLockFor(dataSource), config.lockTimeoutMs).state(),
    );
    return dataSource;
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }
}
