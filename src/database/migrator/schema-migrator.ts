import { Logger } from '@nestjs/common';
import type { DataSource, QueryRunner } from 'typeorm';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { messageOf } from '../../common/errors/error-message';
import { inspectSchema } from '../schema-inspector';
import { SchemaDetection, detectSchemaVersion } from '../schema/version-detector';
import { KnownMigration, describeMigrations } from './known-migrations';
import { MigrationErrorCode } from './migration-errors';
import { HeldLock, MigrationLock } from './migration-lock';
import { SchemaHistory } from './schema-history';
import { ValidationReport, describeValidationFailure, validateHistory } from './validation';

/** How operators run the CLI, quoted in every message that tells them what to run next. */
export const CLI_COMMAND = 'npm run cli --';

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

export interface MigrateOptions {
  /** Adopt a database without migration history (as `db baseline`) instead of refusing it. */
  baseline?: boolean;
  onStep?: (step: StepReport) => void;
}

export interface MigrateResult {
  baselined: { version: string; recorded: string[] } | null;
  adopted: string[];
  applied: StepReport[];
}

/**
 * logic-ha's migration runner, in place of TypeORM's: a database-wide lock, checksums of
 * applied migrations validated before anything runs, adoption of logic-solution databases
 * (baseline), one migration per transaction, and an audit trail of every event.
 */
export class SchemaMigrator {
  private readonly logger = new Logger('Migrations');
  private known: KnownMigration[] | null = null;
  readonly history: SchemaHistory;

  constructor(
    private readonly dataSource: DataSource,
    private readonly lock: MigrationLock,
    private readonly lockTimeoutMs: number,
  ) {
    this.history = new SchemaHistory(dataSource);
  }

  async knownMigrations(): Promise<KnownMigration[]> {
    this.known ??= await describeMigrations(this.dataSource);
    return this.known;
  }

  /** Reads everything, changes nothing. */
  async state(): Promise<DatabaseState> {
    const known = await this.knownMigrations();
    const applied = await this.history.applied();
    if (applied.length === 0) {
      const detection = detectSchemaVersion(await inspectSchema(this.dataSource));
      if (detection.kind !== 'empty') return { kind: 'unbaselined', known, detection };
    }
    const validation = validateHistory(known, applied, await this.history.latestRecords(), { transactionalDdl: this.history.transactionalDdl });
    return { kind: applied.length === 0 ? 'empty' : 'managed', known, validation };
  }

  /** Under the lock: baseline when allowed, validate, record missing checksums, apply what is pending. */
  async migrate(options: MigrateOptions = {}): Promise<MigrateResult> {
    return this.withLock(async (lock) => {
      let state = await this.state();
      let baselined: MigrateResult['baselined'] = null;
      if (state.kind === 'unbaselined') {
        if (!options.baseline) throw notBaselined(state.detection);
        baselined = await this.recordBaseline(state);
        state = await this.state();
      }
      const validation = validationOf(state);
      if (!validation.ok) throw validationFailed(validation);
      const adopted = await this.adoptUnrecorded(state.known, validation.unrecorded);
      const applied: StepReport[] = [];
      for (const name of validation.pending) {
        await lock.assertHeld();
        const step = await this.applyOne(state.known.find((m) => m.name === name)!);
        applied.push(step);
        options.onStep?.(step);
      }
      return { baselined, adopted, applied };
    });
  }

  /** `db baseline`: records the migrations a logic-solution database already has, runs nothing. */
  async baseline(): Promise<{ version: string; recorded: string[] }> {
    return this.withLock(async () => {
      const state = await this.state();
      if (state.kind !== 'unbaselined') {
        const why = state.kind === 'empty' ? 'it is empty: start logic-ha (or run upgrade) to create the schema' : `it already has migration history (${state.validation.applied.length} applied)`;
        throw new DomainError(MigrationErrorCode.NothingToBaseline, ErrorKind.Conflict, `nothing to baseline: ${why}`);
      }
      return this.recordBaseline(state);
    });
  }

  /** `db repair`: accepts changed checksums and failed attempts, records missing checksums. */
  async repair(): Promise<{ accepted: string[]; cleared: string[]; adopted: string[]; remaining: ValidationReport }> {
    return this.withLock(async () => {
      const state = await this.state();
      if (state.kind === 'unbaselined') throw notBaselined(state.detection);
      for (const change of state.validation.changed) {
        await this.history.record(this.dataSource, { migration: change.name, action: 'repaired', checksum: change.current, detail: `accepted checksum change from ${change.recorded}` });
      }
      for (const failure of state.validation.failed) {
        await this.history.record(this.dataSource, { migration: failure.name, action: 'repaired', checksum: null, detail: `failed attempt of ${failure.at} cleared by an operator` });
      }
      const adopted = await this.adoptUnrecorded(state.known, state.validation.unrecorded);
      const after = await this.state();
      this.logger.warn({ msg: 'migration history repaired', accepted: state.validation.changed.map((c) => c.name), cleared: state.validation.failed.map((f) => f.name), adopted });
      return {
        accepted: state.validation.changed.map((c) => c.name),
        cleared: state.validation.failed.map((f) => f.name),
        adopted,
        remaining: validationOf(after),
      };
    });
  }

  /** Runs down() of every migration newer than `target`, newest first, each in its own transaction. */
  async revertTo(target: KnownMigration, onStep?: (step: StepReport) => void): Promise<StepReport[]> {
    return this.withLock(async (lock) => {
      const state = await this.state();
      if (state.kind === 'unbaselined') throw notBaselined(state.detection);
      if (!state.validation.ok) throw validationFailed(state.validation);
      const applied = new Set(state.validation.applied);
      const toRevert = state.known.filter((m) => m.timestamp > target.timestamp && applied.has(m.name)).reverse();
      const steps: StepReport[] = [];
      for (const migration of toRevert) {
        await lock.assertHeld();
        const step = await this.revertOne(migration);
        steps.push(step);
        onStep?.(step);
      }
      return steps;
    });
  }

  private async withLock<T>(work: (lock: HeldLock) => Promise<T>): Promise<T> {
    const lock = await this.lock.acquire(this.lockTimeoutMs);
    try {
      await this.history.ensureTables();
      return await work(lock);
    } finally {
      await lock.release();
    }
  }

  private async recordBaseline(state: Extract<DatabaseState, { kind: 'unbaselined' }>): Promise<{ version: string; recorded: string[] }> {
    const detection = state.detection;
    if (detection.kind !== 'match') throw unknownSchema(detection);
    const upTo = state.known.findIndex((m) => m.schemaVersion === detection.version);
    const recorded = state.known.slice(0, upTo + 1);
    await this.inTransaction(async (runner) => {
      for (const migration of recorded) await this.history.markApplied(runner, migration, 'baseline', null);
    });
    this.logger.log({ msg: 'database baselined', version: detection.version, recorded: recorded.map((m) => m.name) });
    return { version: detection.version, recorded: recorded.map((m) => m.name) };
  }

  private async adoptUnrecorded(known: KnownMigration[], names: string[]): Promise<string[]> {
    for (const name of names) {
      const migration = known.find((m) => m.name === name)!;
      await this.history.record(this.dataSource, { migration: name, action: 'adopted', checksum: migration.checksum, detail: 'applied before checksums were kept' });
    }
    if (names.length > 0) this.logger.log({ msg: 'checksums recorded for migrations applied before checksums were kept', migrations: names });
    return names;
  }

  private async applyOne(migration: KnownMigration): Promise<StepReport> {
    this.logger.log({ msg: 'applying migration', migration: migration.name, schemaVersion: migration.schemaVersion });
    const started = Date.now();
    try {
      await this.inTransaction(async (runner) => {
        await migration.instance.up(runner);
        await this.history.markApplied(runner, migration, 'applied', Date.now() - started);
      });
    } catch (error) {
      await this.history
        .record(this.dataSource, { migration: migration.name, action: 'failed', checksum: migration.checksum, durationMs: Date.now() - started, detail: messageOf(error) })
        .catch((recordError: unknown) => this.logger.error({ msg: 'could not record the failed migration', err: messageOf(recordError) }));
      throw migrationFailed(migration, 'up', error, this.history.transactionalDdl);
    }
    const step = { migration: migration.name, schemaVersion: migration.schemaVersion, durationMs: Date.now() - started };
    this.logger.log({ msg: 'migration applied', ...step });
    return step;
  }

  private async revertOne(migration: KnownMigration): Promise<StepReport> {
    this.logger.log({ msg: 'reverting migration', migration: migration.name, schemaVersion: migration.schemaVersion });
    const started = Date.now();
    try {
      await this.inTransaction(async (runner) => {
        await migration.instance.down(runner);
        await this.history.markReverted(runner, migration, Date.now() - started);
      });
    } catch (error) {
      throw migrationFailed(migration, 'down', error, this.history.transactionalDdl);
    }
    const step = { migration: migration.name, schemaVersion: migration.schemaVersion, durationMs: Date.now() - started };
    this.logger.log({ msg: 'migration reverted', ...step });
    return step;
  }

  /** SQLite rolls a failed migration back whole; MariaDB/MySQL commit each DDL statement. */
  private async inTransaction(work: (runner: QueryRunner) => Promise<void>): Promise<void> {
    const runner = this.dataSource.createQueryRunner('master');
    await runner.connect();
    try {
      await runner.startTransaction();
      await work(runner);
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }
}

export function validationOf(state: DatabaseState): ValidationReport {
  if (state.kind === 'unbaselined') throw notBaselined(state.detection);
  return state.validation;
}

export function validationFailed(validation: ValidationReport): DomainError {
  return new DomainError(MigrationErrorCode.ValidationFailed, ErrorKind.Conflict, describeValidationFailure(validation, CLI_COMMAND), { details: validation });
}

export function notBaselined(detection: SchemaDetection): DomainError {
  const seen = detection.kind === 'match' ? `its schema is ${detection.version}` : 'its schema matches no known version';
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
  return new DomainError(
    MigrationErrorCode.UnknownSchema,
    ErrorKind.Conflict,
    `the database matches no known schema version (0.6.2, 0.7.4, 0.7.7, 0.8 or a logic-ha revision); closest is ${closest}, which differs in:\n` +
      differences.map((difference) => `  - ${difference}`).join('\n') +
      '\nNothing was recorded. Bring the schema to a known version by hand (or restore it), then baseline again',
    { details: detection },
  );
}

function migrationFailed(migration: KnownMigration, direction: 'up' | 'down', error: unknown, transactionalDdl: boolean): DomainError {
  const state = transactionalDdl
    ? 'it was rolled back whole; the database is as it was before it'
    : 'MariaDB/MySQL commit DDL as it runs, so part of it may be in the schema';
  return new DomainError(MigrationErrorCode.MigrationFailed, ErrorKind.Internal, `migration ${migration.name} (${migration.schemaVersion}) failed in ${direction}(): ${messageOf(error)}; ${state}`, {
    cause: error,
    details: { migration: migration.name, schemaVersion: migration.schemaVersion, direction },
  });
}
