import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { messageOf } from '../../common/errors/error-message';
import type { SchemaDetection } from '../schema/version-detector';
import { type DatabaseState, currentVersion, pendingMigrations } from './database-state';
import type { KnownMigration } from './known-migrations';
import { MigrationErrorCode } from './migration-errors';
import { type ValidationReport, describeValidationFailure } from './validation';

/** How operators run the CLI, quoted in every message that tells them what to run next. */
export const CLI_COMMAND = 'npm run cli --';

/** The validation of a database with history; one without is refused as not baselined. */
export function validationOf(state: DatabaseState): ValidationReport {
  if (state.kind === 'unbaselined') throw notBaselined(state.detection);
  return state.validation;
}

/** The validation of a database whose history matches this build; refused otherwise. */
export function matchingValidationOf(state: DatabaseState): ValidationReport {
  const validation = validationOf(state);
  if (!validation.ok) throw validationFailed(validation);
  return validation;
}

/**
 * Refuses a database that cannot be migrated as it is: a history that does not match, or
 * no history at all unless baselining is allowed and the schema is a known version.
 */
export function refuseUnlessMigratable(state: DatabaseState, options: { baseline?: boolean }): void {
  if (state.kind !== 'unbaselined') {
    matchingValidationOf(state);
    return;
  }
  if (!options.baseline) throw notBaselined(state.detection);
  if (state.detection.kind !== 'match') throw unknownSchema(state.detection);
}

/**
 * Refuses a database that is not exactly at this build's schema, for the commands that use
 * the schema but must not change it (everything but `upgrade`, `rollback` and `db …`).
 */
export function refuseUnlessCurrent(state: DatabaseState): void {
  matchingValidationOf(state);
  const pending = pendingMigrations(state);
  if (pending.length === 0) return;
  const at = currentVersion(state);
  const latest = state.known[state.known.length - 1].schemaVersion;
  throw new DomainError(
    MigrationErrorCode.NotCurrent,
    ErrorKind.Conflict,
    `the database ${at ? `is at schema ${at}` : 'is empty'} and this build is at ${latest}: ${pending.length} pending migration(s) (${pending.map((m) => m.schemaVersion).join(', ')}). ` +
      `This command does not change the schema, so nothing was done. Run \`${CLI_COMMAND} upgrade\` first (it takes a backup, then migrates), ` +
      'or use the logic-ha build that matches the database',
    { details: { schemaVersion: at, pending: pending.map((m) => m.name) } },
  );
}

export function validationFailed(validation: ValidationReport): DomainError {
  return new DomainError(
    MigrationErrorCode.ValidationFailed,
    ErrorKind.Conflict,
    describeValidationFailure(validation, CLI_COMMAND),
    { details: validation },
  );
}

export function notBaselined(detection: SchemaDetection): DomainError {
  const seen =
    detection.kind === 'match' ? `its schema is ${detection.version}` : 'its schema matches no known version';
  return new DomainError(
    MigrationErrorCode.NotBaselined,
    ErrorKind.Conflict,
    `the database has tables but no migration history (created by logic-solution's own scripts?); ${seen}. ` +
      `Adopt it with \`${CLI_COMMAND} db baseline\` (or set DB_BASELINE_ON_START=true), after a backup`,
    { details: detection },
  );
}

export function unknownSchema(detection: Exclude<SchemaDetection, { kind: 'match' }>): DomainError {
  const differences = detection.kind === 'unknown' ? detection.differences : [];
  const closest = detection.kind === 'unknown' ? detection.closest : 'none';
  const tolerated = detection.kind === 'unknown' ? detection.tolerated : [];
  const listed = (lines: string[]) => lines.map((line) => `  - ${line}`).join('\n');
  return new DomainError(
    MigrationErrorCode.UnknownSchema,
    ErrorKind.Conflict,
    `the database matches no known schema version (0.6.2, 0.7.4, 0.7.7, 0.8 or a logic-ha revision); closest is ${closest}, which differs in:\n` +
      listed(differences) +
      '\nNothing was recorded. Bring the schema to a known version by hand (or restore it), then baseline again' +
      (tolerated.length > 0 ? `\nAlso seen, and tolerated (no reason to refuse):\n${listed(tolerated)}` : ''),
    { details: detection },
  );
}

export function migrationFailed(
  migration: KnownMigration,
  direction: 'up' | 'down',
  error: unknown,
  transactionalDdl: boolean,
): DomainError {
  const state = transactionalDdl
    ? 'it was rolled back whole; the database is as it was before it'
    : 'MariaDB/MySQL commit DDL as it runs, so part of it may be in the schema';
  return new DomainError(
    MigrationErrorCode.MigrationFailed,
    ErrorKind.Internal,
    `migration ${migration.name} (${migration.schemaVersion}) failed in ${direction}(): ${messageOf(error)}; ${state}`,
    {
      cause: error,
      details: { migration: migration.name, schemaVersion: migration.schemaVersion, direction },
    },
  );
}
