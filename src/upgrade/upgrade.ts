import type { TableShape } from '../database/schema-inspector';
import { CLI_COMMAND, SchemaMigrator, StepReport, notBaselined, unknownSchema, validationFailed } from '../database/migrator/schema-migrator';
import { DomainError } from '../common/errors/domain-error';
import { messageOf } from '../common/errors/error-message';
import { SchemaVersion, expectedSchema } from '../database/schema/known-schemas';
import { diffSchemas } from '../database/schema/schema-diff';
import { knownTablesOf } from '../database/schema/version-detector';
import { MigrationErrorCode } from '../database/migrator/migration-errors';
import type { SchemaBackups } from './schema-backups';

export interface UpgradeReport {
  ok: boolean;
  /** The schema version before: the newest applied migration's, the detected one, or null when empty. */
  from: string | null;
  to: string;
  backupId: string | null;
  baselined: string | null;
  applied: StepReport[];
  /** Why it stopped; `migration` is set when a migration itself failed (the schema may be part-way). */
  failed: { code: string | null; migration: string | null; error: string } | null;
  /** Differences between the schema reached and the one expected (empty: it matches). */
  schemaDifferences: string[];
  /** What to run to get back to the data before the upgrade; null when nothing was changed. */
  rollbackCommand: string | null;
  durationMs: number;
}

const REFUSED_BEFORE_ANY_CHANGE = new Set<string>([
  MigrationErrorCode.LockTimeout,
  MigrationErrorCode.ValidationFailed,
  MigrationErrorCode.NotBaselined,
  MigrationErrorCode.UnknownSchema,
]);

export interface UpgradeDependencies {
  migrator: SchemaMigrator;
  backups: SchemaBackups;
  inspect(): Promise<TableShape[]>;
  progress(event: Record<string, unknown>): void;
}

/**
 * `upgrade`: a tagged full backup (`pre-upgrade-<from>-<to>`), then every pending migration
 * under the migration lock, one at a time, then the schema compared with the version
 * reached. It never changes anything before the backup succeeded; on failure it stops at
 * the failed migration (the lock is released) and reports the exact command to get back.
 */
export async function upgrade(deps: UpgradeDependencies, options: { baseline: boolean }): Promise<UpgradeReport> {
  const started = Date.now();
  const { from, to, changes } = await planUpgrade(deps.migrator, options);
  const report: UpgradeReport = { ok: true, from, to, backupId: null, baselined: null, applied: [], failed: null, schemaDifferences: [], rollbackCommand: null, durationMs: 0 };
  if (!changes) return { ...report, durationMs: Date.now() - started };

  const tag = `pre-upgrade-${from ?? 'empty'}-${to}`;
  deps.progress({ step: 'backup', tag });
  const backup = await deps.backups.takeFull(tag);
  report.backupId = backup.id;
  const rollbackCommand = `${CLI_COMMAND} rollback --restore ${backup.id}`;
  deps.progress({ step: 'backup-done', backupId: backup.id });

  try {
    const onStep = (step: StepReport) => {
      report.applied.push(step);
      deps.progress({ step: 'migration-applied', ...step });
    };
    const result = await deps.migrator.migrate({ baseline: options.baseline, onStep });
    report.baselined = result.baselined?.version ?? null;
  } catch (error) {
    const code = error instanceof DomainError ? error.code : null;
    const migration = error instanceof DomainError ? ((error.details as { migration?: string } | undefined)?.migration ?? null) : null;
    // Refused before the first migration (lock not free, history changed meanwhile): nothing to undo.
    const changedNothing = code !== null && REFUSED_BEFORE_ANY_CHANGE.has(code);
    return {
      ...report,
      ok: false,
      failed: { code, migration, error: messageOf(error) },
      rollbackCommand: changedNothing ? null : rollbackCommand,
      durationMs: Date.now() - started,
    };
  }
  report.rollbackCommand = rollbackCommand;
  report.schemaDifferences = diffSchemas(expectedSchema(to as SchemaVersion), knownTablesOf(await deps.inspect()));
  report.ok = report.schemaDifferences.length === 0;
  // The catalog table may only exist now (a database adopted from logic-solution).
  await deps.backups.register(backup).catch((error: unknown) => deps.progress({ step: 'catalog', warning: `backup not entered in the catalog: ${messageOf(error)}` }));
  return { ...report, durationMs: Date.now() - started };
}

/** Refuses before the backup when the database cannot be upgraded as it is. */
async function planUpgrade(migrator: SchemaMigrator, options: { baseline: boolean }) {
  const state = await migrator.state();
  const known = state.known;
  const to = known[known.length - 1].schemaVersion;
  if (state.kind === 'unbaselined') {
    if (!options.baseline) throw notBaselined(state.detection);
    if (state.detection.kind !== 'match') throw unknownSchema(state.detection);
    return { from: state.detection.version as string, to, changes: true };
  }
  if (!state.validation.ok) throw validationFailed(state.validation);
  const appliedSet = new Set(state.validation.applied);
  const newestApplied = [...known].reverse().find((m) => appliedSet.has(m.name));
  return { from: newestApplied?.schemaVersion ?? null, to, changes: state.validation.pending.length > 0 };
}
