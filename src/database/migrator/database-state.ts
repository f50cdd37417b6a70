import type { SchemaDetection } from '../schema/version-detector';
import type { KnownMigration } from './known-migrations';
import type { ValidationReport } from './validation';

/** What a database holds, as SchemaMigrator.state() reads it. */
export type DatabaseState =
  /** Neither migration history nor any known table: everything is pending. */
  | { kind: 'empty'; known: KnownMigration[]; validation: ValidationReport }
  /** Tables without migration history: created by logic-solution's own scripts. */
  | { kind: 'unbaselined'; known: KnownMigration[]; detection: SchemaDetection }
  | { kind: 'managed'; known: KnownMigration[]; validation: ValidationReport };

export interface StepReport {
  migration: string;
  schemaVersion: string;
  durationMs: number;
}

/** What a run would apply: after a baseline, the migrations after the detected version. */
export function pendingMigrations(state: DatabaseState): KnownMigration[] {
  if (state.kind !== 'unbaselined') return state.known.filter((m) => state.validation.pending.includes(m.name));
  if (state.detection.kind !== 'match') return [];
  const detected = state.detection.version;
  return state.known.slice(state.known.findIndex((m) => m.schemaVersion === detected) + 1);
}

/** The schema version now: detected, the newest applied migration's, or null when empty. */
export function currentVersion(state: DatabaseState): string | null {
  if (state.kind === 'unbaselined') return state.detection.kind === 'match' ? state.detection.version : null;
  const applied = new Set(state.validation.applied);
  return [...state.known].reverse().find((m) => applied.has(m.name))?.schemaVersion ?? null;
}

/** The applied migrations newer than `target`, newest first: what a rollback to it reverts. */
export function appliedAfter(
  known: KnownMigration[],
  validation: ValidationReport,
  target: KnownMigration,
): KnownMigration[] {
  const applied = new Set(validation.applied);
  return known.filter((m) => m.timestamp > target.timestamp && applied.has(m.name)).reverse();
}
