import type { TableShape } from '../database/schema-inspector';
import type { BackupManifest } from '../backup';
import { currentVersion, pendingMigrations, type StepReport } from '../database/migrator/database-state';
import { CLI_COMMAND, refuseUnlessMigratable } from '../database/migrator/migration-refusals';
import { type ChangePlan, type SchemaMigrator } from '../database/migrator/schema-migrator';
import { DomainError } from '../common/errors/domain-error';
import { messageOf } from '../common/errors/error-message';
import { type SchemaVersion, expectedSchema } from '../database/schema/known-schemas';
import { diffSchemas } from '../database/schema/schema-diff';
import { knownTablesOf } from '../database/schema/version-detector';
import type { CatalogTable, SchemaBackups } from './schema-backups';

export interface UpgradeReport {
  ok: boolean;
  /** The schema version before: the newest applied migration's, the detected one, or null when empty. */
  from: string | null;
  to: string;
  backupId: string | null;
  baselined: string | null;
  /** How an adopted database differs from the version it was baselined at, in ways that do not matter. */
  tolerated: string[];
  applied: StepReport[];
  /** Why it stopped; `migration` is set when a migration itself failed (the schema may be part-way). */
  failed: { code: string | null; migration: string | null; error: string } | null;
  /** Differences between the schema reached and the one expected (empty: it matches). */
  schemaDifferences: string[];
  /** Set when the upgrade created the catalog table (after a rollback below ha-2, or on adoption) and refilled it from storage. */
  catalogRebuilt: { inserted: number; corrupt: string[]; incomplete: string[] } | null;
  /** What to run to get back to the data before the upgrade; null when nothing was changed. */
  rollbackCommand: string | null;
  durationMs: number;
}

export interface UpgradeDependencies {
  migrator: SchemaMigrator;
  backups: SchemaBackups;
  catalog: CatalogTable;
  inspect(): Promise<TableShape[]>;
  progress(event: Record<string, unknown>): void;
}

/**
 * `upgrade`: under the migration lock, a tagged full backup (`pre-upgrade-<from>-<to>`),
 * then every pending migration one at a time, then the schema compared with the version
 * reached. Nothing changes before the backup succeeded (a refusal or a failed backup is
 * thrown as is); after it, a failure stops at the failed migration, the lock is released,
 * and the report carries the exact command to get back.
 */
export async function upgrade(deps: UpgradeDependencies, options: { baseline: boolean }): Promise<UpgradeReport> {
  const started = Date.now();
  const state = await deps.migrator.state();
  // The refusals that need no lock, before anything is taken; migrate() checks again under it.
  refuseUnlessMigratable(state, options);
  const report: UpgradeReport = {
    ok: true,
    from: currentVersion(state),
    to: state.known[state.known.length - 1].schemaVersion,
    backupId: null,
    baselined: null,
    tolerated: [],
    applied: [],
    failed: null,
    schemaDifferences: [],
    catalogRebuilt: null,
    rollbackCommand: null,
    durationMs: 0,
  };
  const finish = () => ({ ...report, durationMs: Date.now() - started });
  if (state.kind !== 'unbaselined' && pendingMigrations(state).length === 0) return finish();

  const taken: { backup: BackupManifest | null; catalogExisted: boolean } = { backup: null, catalogExisted: true };
  const beforeChanges = async (plan: ChangePlan) => {
    report.from = plan.from;
    taken.catalogExisted = await deps.catalog.exists();
    const tag = `pre-upgrade-${plan.from ?? 'empty'}-${plan.to}`;
    deps.progress({ step: 'backup', tag });
    taken.backup = await deps.backups.takeFull(tag);
    report.backupId = taken.backup.id;
    deps.progress({ step: 'backup-done', backupId: taken.backup.id });
  };
  const onStep = (step: StepReport) => {
    report.applied.push(step);
    deps.progress({ step: 'migration-applied', ...step });
  };
  try {
    const result = await deps.migrator.migrate({ baseline: options.baseline, beforeChanges, onStep });
    report.baselined = result.baselined?.version ?? null;
    report.tolerated = result.baselined?.tolerated ?? [];
  } catch (error) {
    if (!taken.backup) throw error;
    const details = error instanceof DomainError ? (error.details as { migration?: string } | undefined) : undefined;
    report.ok = false;
    report.failed = {
      code: error instanceof DomainError ? error.code : null,
      migration: details?.migration ?? null,
      error: messageOf(error),
    };
    report.rollbackCommand = `${CLI_COMMAND} rollback --restore ${taken.backup.id}`;
    await register(deps, taken.backup);
    return finish();
  }
  // Nothing was pending any more once the lock was ours: another node upgraded meanwhile.
  if (!taken.backup) return finish();
  report.rollbackCommand = `${CLI_COMMAND} rollback --restore ${taken.backup.id}`;
  if (!taken.catalogExisted && (await deps.catalog.exists())) report.catalogRebuilt = await rebuildCatalog(deps);
  else await register(deps, taken.backup);
  report.schemaDifferences = diffSchemas(
    expectedSchema(report.to as SchemaVersion, deps.migrator.engine),
    knownTablesOf(await deps.inspect()),
  );
  report.ok = report.schemaDifferences.length === 0;
  return finish();
}

/** The catalog table may only exist now (a database adopted from logic-solution), or no more. */
async function register(deps: UpgradeDependencies, backup: BackupManifest): Promise<void> {
  await deps.backups
    .register(backup)
    .catch((error: unknown) =>
      deps.progress({ step: 'catalog', warning: `backup not entered in the catalog: ${messageOf(error)}` }),
    );
}

/**
 * The upgrade created the catalog table, empty, while storage still holds every backup
 * (a rollback below ha-2 dropped the table, not the backups): fill it from storage, as
 * `backup catalog rebuild` does, so `backup list` and retention see them again. A failed
 * rebuild does not fail the upgrade; the warning says what to run.
 */
async function rebuildCatalog(deps: UpgradeDependencies): Promise<UpgradeReport['catalogRebuilt']> {
  deps.progress({
    step: 'catalog-rebuild',
    reason: 'the catalog table was created by this upgrade: entering every backup in storage',
  });
  try {
    const rebuilt = await deps.catalog.rebuild();
    const summary = {
      inserted: rebuilt.inserted.length + rebuilt.updated.length,
      corrupt: rebuilt.corrupt,
      incomplete: rebuilt.incomplete,
    };
    deps.progress({ step: 'catalog-rebuilt', ...summary });
    return summary;
  } catch (error) {
    deps.progress({
      step: 'catalog',
      warning: `the catalog could not be rebuilt (${messageOf(error)}); run \`${CLI_COMMAND} backup catalog rebuild\``,
    });
    return null;
  }
}
