import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { messageOf } from '../common/errors/error-message';
import type { AppConfig } from '../config/app-config';
import type { MysqlEndpoint } from '../config/mysql-url';
import type { BackupManifest, BackupReader } from '../backup';
import { BackupErrorCode } from '../backup';
import type { KnownMigration } from '../database/migrator/known-migrations';
import { MigrationErrorCode } from '../database/migrator/migration-errors';
import { type StepReport, appliedAfter, currentVersion } from '../database/migrator/database-state';
import { CLI_COMMAND, matchingValidationOf } from '../database/migrator/migration-refusals';
import { type ChangePlan, type SchemaMigrator } from '../database/migrator/schema-migrator';
import type { DatabaseTopology } from '../database/topology/database-topology';
import type { SchemaBackups } from './schema-backups';
import { UpgradeErrorCode } from './upgrade-errors';

export const PRE_UPGRADE_TAG_PREFIX = 'pre-upgrade-';

export interface RevertPlan {
  from: string;
  target: KnownMigration;
  /** Newest first, the order down() runs in. */
  toRevert: KnownMigration[];
}

/** `--to` names a migration (class name or its 13-digit timestamp) or the schema version it leaves ('0.7.4', 'ha-2'). */
export function resolveTarget(known: KnownMigration[], spec: string): KnownMigration {
  const found = known.find((m) => m.name === spec || String(m.timestamp) === spec || m.schemaVersion === spec);
  if (!found) {
    throw new DomainError(
      MigrationErrorCode.UnknownTarget,
      ErrorKind.InvalidInput,
      `--to ${JSON.stringify(spec)} is not a migration of this build; use one of: ${known.map((m) => `${m.schemaVersion} (${m.name})`).join(', ')}`,
      { details: { field: 'to' } },
    );
  }
  return found;
}

export async function planRevert(migrator: SchemaMigrator, spec: string): Promise<RevertPlan> {
  const state = await migrator.state();
  const validation = matchingValidationOf(state);
  const target = resolveTarget(state.known, spec);
  if (!validation.applied.includes(target.name)) {
    throw new DomainError(
      MigrationErrorCode.UnknownTarget,
      ErrorKind.InvalidInput,
      `--to ${target.schemaVersion} (${target.name}) is not applied to this database, so there is nothing to go back to`,
      {
        details: { field: 'to' },
      },
    );
  }
  return { from: currentVersion(state)!, target, toRevert: appliedAfter(state.known, validation, target) };
}

/** Takes `pre-rollback-<from>-<to>`, then runs down() of each migration in the plan. */
export async function rollbackTo(
  deps: { migrator: SchemaMigrator; backups: SchemaBackups; progress(event: Record<string, unknown>): void },
  plan: RevertPlan,
): Promise<{ backupId: string | null; reverted: StepReport[] }> {
  if (plan.toRevert.length === 0) return { backupId: null, reverted: [] };
  const taken: { backup: BackupManifest | null } = { backup: null };
  // Under the lock, so the backup is exactly what down() starts from.
  const beforeChanges = async (change: ChangePlan) => {
    taken.backup = await deps.backups.takeFull(`pre-rollback-${change.from ?? plan.from}-${change.to}`);
    deps.progress({ step: 'backup-done', backupId: taken.backup.id });
  };
  const register = (backup: BackupManifest) =>
    // Gone with the catalog table when the rollback went below ha-2; storage keeps it either way.
    deps.backups
      .register(backup)
      .catch((error: unknown) =>
        deps.progress({ step: 'catalog', warning: `backup not entered in the catalog: ${messageOf(error)}` }),
      );
  let reverted: StepReport[];
  try {
    reverted = await deps.migrator.revertTo(plan.target, {
      beforeChanges,
      onStep: (step) => deps.progress({ step: 'migration-reverted', ...step }),
    });
  } catch (error) {
    if (!taken.backup) throw error;
    await register(taken.backup);
    const code = error instanceof DomainError ? error.code : MigrationErrorCode.MigrationFailed;
    throw new DomainError(
      code,
      ErrorKind.Internal,
      `${messageOf(error)}. To get back the data as it was before this rollback: ${CLI_COMMAND} rollback --restore ${taken.backup.id}`,
      {
        cause: error,
        details: {
          backupId: taken.backup.id,
          ...(error instanceof DomainError && typeof error.details === 'object' ? error.details : {}),
        },
      },
    );
  }
  if (!taken.backup) return { backupId: null, reverted };
  await register(taken.backup);
  return { backupId: taken.backup.id, reverted };
}

/**
 * The newest backup tagged `pre-upgrade-…`, read from storage (the catalog may be gone
 * with the schema). Folders without a manifest (unfinished backups) are skipped; a damaged
 * manifest that may be newer than the one found is not: the operator must choose.
 */
export async function newestPreUpgradeBackup(reader: BackupReader): Promise<BackupManifest> {
  let newest: BackupManifest | null = null;
  const damaged: string[] = [];
  for (const id of (await reader.storage.listIds()).sort()) {
    const manifest = await reader.manifest(id).catch((error: unknown) => {
      if (!(error instanceof DomainError && error.code === (BackupErrorCode.NotUsable as string))) damaged.push(id);
      return null;
    });
    if (!manifest?.tag?.startsWith(PRE_UPGRADE_TAG_PREFIX)) continue;
    if (!newest || manifest.finishedAt > newest.finishedAt) newest = manifest;
  }
  const newerDamaged = damaged.filter((id) => !newest || id > newest.id);
  if (newerDamaged.length > 0) {
    throw new DomainError(
      UpgradeErrorCode.NoPreUpgradeBackup,
      ErrorKind.Conflict,
      `the manifest of ${newerDamaged.join(', ')} cannot be read (it may be the newest pre-upgrade backup); ${newest ? `the newest readable one is ${newest.id}` : 'no readable one was found'}: name the backup to restore with --restore <backup-id>`,
    );
  }
  if (!newest) {
    throw new DomainError(
      UpgradeErrorCode.NoPreUpgradeBackup,
      ErrorKind.NotFound,
      `no backup tagged ${PRE_UPGRADE_TAG_PREFIX}… in ${reader.storage.description}: name one with --restore <backup-id>`,
    );
  }
  return newest;
}

/**
 * Where `rollback --restore` writes: the database the service uses now (after a failover,
 * the promoted server), as the admin account when one is configured (dropping and
 * recreating the database and replaying a dump are admin work), else as the app's.
 */
export function restoreTargetOf(config: AppConfig, topology: DatabaseTopology): string {
  if (config.database.type === 'sqlite') return config.database.sqlitePath;
  const primary = topology.primaryEndpoint();
  return mysqlUrlOf(config.monitorAccount ? { ...primary, ...config.monitorAccount } : primary);
}

export function mysqlUrlOf(endpoint: MysqlEndpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const credentials = `${encodeURIComponent(endpoint.user)}:${encodeURIComponent(endpoint.password)}`;
  return `mysql://${credentials}@${host}:${endpoint.port}/${encodeURIComponent(endpoint.database)}`;
}
