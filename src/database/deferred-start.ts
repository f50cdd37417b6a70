import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from '../common/errors/database-unavailable';
import { DomainError } from '../common/errors/domain-error';
import { messageOf } from '../common/errors/error-message';
import type { MigrationsConfig } from '../config/app-config';
import { openAndMigrate } from './migrator/startup-migration';

/**
 * The start's own attempt gives up on a server that does not answer after this (capped
 * by DB_CONNECT_TIMEOUT_MS): a hung primary must not hold the start, since the open is
 * tried again later anyway.
 */
export const START_CONNECT_TIMEOUT_MS = 2000;

/** Data sources whose start-up migration has not run yet: their first open must run it. */
const owed = new WeakMap<DataSource, MigrationsConfig>();

/**
 * The service's start on MySQL: open and migrate (see openAndMigrate), or, when the server
 * cannot be reached (down, hung, read-only), return the data source closed, with its
 * entity metadata built, and the migration owed: the node starts without its database and
 * answers 503 where it needs it, and its failover monitor can act on the dead primary it
 * would otherwise never get to. DataSourceSwitch.open() runs the migration on whichever
 * server it opens first. A refusal (history, unknown schema, lock held too long) and any
 * other error stay fatal, as do all errors on SQLite (a local file: nothing to wait for).
 */
export async function openAndMigrateOrDefer(dataSource: DataSource, config: MigrationsConfig): Promise<DataSource> {
  if (dataSource.options.type !== 'mysql') return openAndMigrate(dataSource, config);
  const configured = dataSource.options.connectTimeout ?? START_CONNECT_TIMEOUT_MS;
  try {
    return await openAndMigrate(dataSource, config, {
      connectTimeoutMs: Math.min(configured, START_CONNECT_TIMEOUT_MS),
    });
  } catch (error) {
    if (!isConnectionFailure(error)) throw error;
    new Logger('Database').warn({
      msg: 'the database primary cannot be reached at start: starting without it (503 where the database is needed) and migrating once a primary is connected',
      primary: `${dataSource.options.host}:${dataSource.options.port}`,
      err: messageOf(error),
    });
    await buildEntityMetadata(dataSource);
    owed.set(dataSource, config);
    return dataSource;
  }
}

/** The migrations configuration when the data source still owes its start-up migration. */
export function owedStartupMigration(dataSource: DataSource): MigrationsConfig | undefined {
  return owed.get(dataSource);
}

export function startupMigrationDone(dataSource: DataSource): void {
  owed.delete(dataSource);
}

/** The server could not be reached or would not take writes; a DomainError is a decision, never this. */
export function isConnectionFailure(error: unknown): boolean {
  return !(error instanceof DomainError) && isDatabaseUnavailable(error);
}

/**
 * TypeORM builds entity metadata only in initialize(). Without it a repository call fails
 * with "No metadata for X was found" (a 500) instead of "Connection is not established"
 * (a 503). Building it needs no connection; initialize() builds it again.
 */
async function buildEntityMetadata(dataSource: DataSource): Promise<void> {
  await (dataSource as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
}
