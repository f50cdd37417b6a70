import type { KnownMigration } from './known-migrations';
import type { AppliedMigration, MigrationRecords } from './schema-history';

export interface ValidationReport {
  /** False when the history and this build's migrations disagree (start-up refuses). */
  ok: boolean;
  applied: string[];
  /** Applied, and the migration's SQL has changed since. */
  changed: { name: string; recorded: string; current: string }[];
  /** Applied, and this build does not have the migration (a newer logic-ha applied it). */
  missing: string[];
  /** Not applied, yet older than one that is: it would run out of order. */
  outOfOrder: string[];
  /**
   * Failed, or started and never finished (the process died), on an engine that commits DDL
   * as it goes: part of it may be in the schema. `applied` says whether it is listed as
   * applied (a failed down()) or not (a failed up()).
   */
  failed: { name: string; at: string; error: string | null; applied: boolean }[];
  /** Not applied yet; applied in this order by the next migrate/upgrade. */
  pending: string[];
  /** Applied by a logic-ha version that recorded no checksum; this build's is recorded next time. */
  unrecorded: string[];
}

/** Compares the migration history of a database with this build's migrations (pure). */
export function validateHistory(
  known: KnownMigration[],
  applied: AppliedMigration[],
  records: Map<string, MigrationRecords>,
  options: { transactionalDdl: boolean },
): ValidationReport {
  const appliedNames = new Set(applied.map((migration) => migration.name));
  const knownByName = new Map(known.map((migration) => [migration.name, migration]));
  const newestApplied = Math.max(-1, ...known.filter((m) => appliedNames.has(m.name)).map((m) => m.timestamp));
  const report: ValidationReport = {
    ok: true,
    applied: applied.map((m) => m.name),
    changed: [],
    missing: [],
    outOfOrder: [],
    failed: [],
    pending: [],
    unrecorded: [],
  };
  for (const { name } of applied) {
    const migration = knownByName.get(name);
    const recorded = records.get(name)?.checksummed;
    if (!migration) report.missing.push(name);
    else if (!recorded) report.unrecorded.push(name);
    else if (recorded.checksum !== migration.checksum)
      report.changed.push({ name, recorded: recorded.checksum!, current: migration.checksum });
  }
  for (const migration of known.filter((m) => !appliedNames.has(m.name))) {
    if (migration.timestamp < newestApplied) report.outOfOrder.push(migration.name);
    else report.pending.push(migration.name);
  }
  // SQLite rolls a failed or interrupted step back whole: only the other engines can be half-way.
  if (!options.transactionalDdl) {
    for (const [name, { latest }] of records) {
      if (latest.action !== 'failed' && latest.action !== 'started') continue;
      const error =
        latest.action === 'started'
          ? `${latest.detail ?? 'it'} started and never finished (the process or the server died)`
          : latest.detail;
      report.failed.push({ name, at: latest.at.toISOString(), error, applied: appliedNames.has(name) });
    }
  }
  report.ok = report.changed.length + report.missing.length + report.outOfOrder.length + report.failed.length === 0;
  return report;
}

/** What differs and what to do about it, for the start-up refusal and the CLI. */
export function describeValidationFailure(report: ValidationReport, cli: string): string {
  const lines = ['the migration history of this database does not match the migrations of this logic-ha build:'];
  for (const change of report.changed) {
    lines.push(
      `  - ${change.name}: changed since it was applied (checksum recorded ${change.recorded.slice(0, 12)}…, now ${change.current.slice(0, 12)}…)`,
    );
  }
  for (const name of report.missing)
    lines.push(`  - ${name}: applied to the database but not part of this build (a newer logic-ha applied it)`);
  for (const name of report.outOfOrder)
    lines.push(`  - ${name}: not applied, but older than migrations that are (it would run out of order)`);
  for (const failure of report.failed) {
    lines.push(
      `  - ${failure.name}: ${failure.applied ? 'down()' : 'up()'} failed at ${failure.at}${failure.error ? ` (${failure.error})` : ''}; MariaDB/MySQL commit DDL as it runs, so part of it may be done`,
    );
  }
  lines.push('What to do:');
  if (report.changed.length > 0)
    lines.push(
      `  - a changed migration: review what changed; when the change is intended (the schema is right), accept it with \`${cli} db repair\``,
    );
  if (report.missing.length > 0)
    lines.push(
      '  - a migration this build lacks: deploy the logic-ha version that applied it, or roll the database back with that version first (see UPGRADING.md)',
    );
  if (report.outOfOrder.length > 0)
    lines.push(
      '  - an out-of-order migration: deploy a build whose migrations match the database, or apply it by hand and record it (see UPGRADING.md)',
    );
  if (report.failed.some((failure) => !failure.applied)) {
    lines.push(
      `  - a failed up(): restore the pre-upgrade backup (\`${cli} rollback --restore\`); or undo what it did by hand and run \`${cli} db repair\`` +
        ` (it runs again next time); or finish it by hand (\`${cli} db plan\` shows its SQL) and run \`${cli} db repair --mark-applied <migration>\``,
    );
  }
  if (report.failed.some((failure) => failure.applied)) {
    lines.push(
      `  - a failed down(): restore the pre-rollback backup (\`${cli} backup list\` shows it, tagged pre-rollback-…; \`${cli} rollback --restore <backup-id>\`);` +
        ` or put back by hand what it removed and run \`${cli} db repair\` (it stays applied); or finish it by hand and run \`${cli} db repair --mark-reverted <migration>\``,
    );
  }
  return lines.join('\n');
}
