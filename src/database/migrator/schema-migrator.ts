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

interface StepActions {
  direction: 'up' | 'down';
  /** True when the step is already done (by another process). */
  done(runner: QueryRunner): Promise<boolean>;
  execute(runner: QueryRunner): Promise<void>;
  record(runner: QueryRunner, durationMs: number): Promise<void>;
  /** Closes a `started` event when the step turned out to be done already. */
  close(runner: QueryRunner): Promise<void>;
}

/** What a run is about to change, given to `beforeChanges` under the lock. */
export interface ChangePlan {
  /** The schema version now: detected, the newest applied migration's, or null when empty. */
  from: string | null;
  to: string;
  migrations: string[];
}

export interface MigrateOptions {
  /** Adopt a database without migration history (as `db baseline`) instead of refusing it. */
  baseline?: boolean;
  /** Runs under the lock before the first change, only when there is one: the pre-upgrade backup. */
  beforeChanges?: (plan: ChangePlan) => Promise<void>;
  onStep?: (step: StepReport) => void;
}

export interface RepairResult {
  accepted: string[];
  cleared: string[];
  markedApplied: string[];
  markedReverted: string[];
  adopted: string[];
  remaining: ValidationReport;
}

export interface MigrateResult {
  baselined: { version: string; recorded: string[] } | null;
  adopted: string[];
  applied: StepReport[];
}

/**
 * logic-ha's migration runner, in place of TypeORM's: a database-wide lock, checksums of
 * applied migrations validated before anything runs, adoption of logic-solution databases
 * (baseline), one migration per transaction, and an audit trail of every event. Reading
 * and refusing write nothing: the bookkeeping tables appear with the first change.
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
      const state = await this.state();
      if (state.kind === 'unbaselined') {
        if (!options.baseline) throw notBaselined(state.detection);
        if (state.detection.kind !== 'match') throw unknownSchema(state.detection);
      } else if (!state.validation.ok) {
        throw validationFailed(state.validation);
      }
      const pending = pendingMigrations(state);
      if (options.beforeChanges && (state.kind === 'unbaselined' || pending.length > 0)) {
        await options.beforeChanges({ from: currentVersion(state), to: state.known[state.known.length - 1].schemaVersion, migrations: pending.map((m) => m.name) });
      }
      const baselined = state.kind === 'unbaselined' ? await this.recordBaseline(state) : null;
      const adopted = await this.adoptUnrecorded(state.known, baselined ? [] : validationOf(state).unrecorded);
      const applied: StepReport[] = [];
      for (const migration of pending) {
        await lock.assertHeld();
        const step = await this.applyOne(migration);
        if (!step) continue;
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

  /**
   * `db repair`: accepts changed checksums, clears failed attempts (a failed up() stays
   * pending; a failed down() stays applied), records missing checksums, and records the
   * steps an operator finished by hand: `markApplied` (an up()) and `markReverted` (a
   * down()). Never touches the schema.
   */
  async repair(byHand: { markApplied?: string[]; markReverted?: string[] } = {}): Promise<RepairResult> {
    return this.withLock(async () => {
      const state = await this.state();
      const validation = validationOf(state);
      const toApply = [...new Set(byHand.markApplied ?? [])].map((name) => this.handled(state.known, validation, name, false));
      const toRevert = [...new Set(byHand.markReverted ?? [])].map((name) => this.handled(state.known, validation, name, true));
      const byHandNames = new Set([...toApply, ...toRevert].map((m) => m.name));
      await this.history.ensureTables();
      for (const change of validation.changed) {
        await this.history.record(this.dataSource, { migration: change.name, action: 'repaired', checksum: change.current, detail: `accepted checksum change from ${change.recorded}` });
      }
      const cleared = validation.failed.filter((f) => !byHandNames.has(f.name));
      for (const failure of cleared) {
        const checksum = failure.applied ? (state.known.find((m) => m.name === failure.name)?.checksum ?? null) : null;
        await this.history.record(this.dataSource, { migration: failure.name, action: 'repaired', checksum, detail: `failed attempt of ${failure.at} cleared by an operator` });
      }
      const detail = 'finished by hand, recorded by an operator';
      for (const migration of toApply) await this.inTransaction((runner) => this.history.markApplied(runner, migration, 'repaired', null, detail));
      for (const migration of toRevert) await this.inTransaction((runner) => this.history.markReverted(runner, migration, null, detail));
      const adopted = await this.adoptUnrecorded(state.known, validation.unrecorded.filter((name) => !byHandNames.has(name)));
      const result = {
        accepted: validation.changed.map((c) => c.name),
        cleared: cleared.map((f) => f.name),
        markedApplied: toApply.map((m) => m.name),
        markedReverted: toRevert.map((m) => m.name),
        adopted,
        remaining: validationOf(await this.state()),
      };
      this.logger.warn({ msg: 'migration history repaired', ...result, remaining: undefined });
      return result;
    });
  }

  /**
   * Runs down() of every migration newer than `target`, newest first, each in its own
   * transaction; `beforeChanges` (the pre-rollback backup) runs under the lock first.
   */
  async revertTo(target: KnownMigration, options: Pick<MigrateOptions, 'beforeChanges' | 'onStep'> = {}): Promise<StepReport[]> {
    return this.withLock(async (lock) => {
      const state = await this.state();
      const validation = validationOf(state);
      if (!validation.ok) throw validationFailed(validation);
      const applied = new Set(validation.applied);
      const toRevert = state.known.filter((m) => m.timestamp > target.timestamp && applied.has(m.name)).reverse();
      if (toRevert.length > 0) await options.beforeChanges?.({ from: currentVersion(state), to: target.schemaVersion, migrations: toRevert.map((m) => m.name) });
      const steps: StepReport[] = [];
      for (const migration of toRevert) {
        await lock.assertHeld();
        const step = await this.revertOne(migration);
        if (!step) continue;
        steps.push(step);
        options.onStep?.(step);
      }
      return steps;
    });
  }

  /** A migration an operator says they finished by hand: pending for an up(), applied for a down(). */
  private handled(known: KnownMigration[], validation: ValidationReport, name: string, reverted: boolean): KnownMigration {
    const migration = known.find((m) => m.name === name);
    const applied = validation.applied.includes(name);
    if (!migration || applied !== reverted) {
      const option = reverted ? '--mark-reverted' : '--mark-applied';
      const candidates = reverted ? validation.applied.filter((n) => known.some((m) => m.name === n)) : [...validation.pending, ...validation.outOfOrder];
      throw new DomainError(
        MigrationErrorCode.UnknownTarget,
        ErrorKind.InvalidInput,
        `${option} ${JSON.stringify(name)} is not ${reverted ? 'an applied' : 'a pending'} migration of this build; ${reverted ? 'applied' : 'pending'}: ${candidates.join(', ') || 'none'}`,
        { details: { field: option.slice(2) } },
      );
    }
    return migration;
  }

  private async withLock<T>(work: (lock: HeldLock) => Promise<T>): Promise<T> {
    const lock = await this.lock.acquire(this.lockTimeoutMs);
    try {
      return await work(lock);
    } finally {
      await lock.release();
    }
  }

  private async recordBaseline(state: Extract<DatabaseState, { kind: 'unbaselined' }>): Promise<{ version: string; recorded: string[] }> {
    const detection = state.detection;
    if (detection.kind !== 'match') throw unknownSchema(detection);
    const recorded = state.known.slice(0, state.known.findIndex((m) => m.schemaVersion === detection.version) + 1);
    await this.history.ensureTables();
    await this.inTransaction(async (runner) => {
      for (const migration of recorded) await this.history.markApplied(runner, migration, 'baseline', null);
    });
    this.logger.log({ msg: 'database baselined', version: detection.version, recorded: recorded.map((m) => m.name) });
    return { version: detection.version, recorded: recorded.map((m) => m.name) };
  }

  private async adoptUnrecorded(known: KnownMigration[], names: string[]): Promise<string[]> {
    if (names.length === 0) return names;
    await this.history.ensureTables();
    for (const name of names) {
      const migration = known.find((m) => m.name === name)!;
      await this.history.record(this.dataSource, { migration: name, action: 'adopted', checksum: migration.checksum, detail: 'applied before checksums were kept' });
    }
    this.logger.log({ msg: 'checksums recorded for migrations applied before checksums were kept', migrations: names });
    return names;
  }

  /** null when another process applied it meanwhile (a lock taken over): nothing is run twice. */
  private async applyOne(migration: KnownMigration): Promise<StepReport | null> {
    return this.runStep(migration, {
      direction: 'up',
      done: (runner) => this.history.isApplied(runner, migration.name),
      execute: (runner) => migration.instance.up(runner),
      record: (runner, durationMs) => this.history.markApplied(runner, migration, 'applied', durationMs),
      // Someone else's run applied it: its checksum is this build's (validated), the history closes on it.
      close: (runner) => this.history.record(runner, { migration: migration.name, action: 'adopted', checksum: migration.checksum, detail: 'applied by another process meanwhile' }),
    });
  }

  private async revertOne(migration: KnownMigration): Promise<StepReport | null> {
    return this.runStep(migration, {
      direction: 'down',
      done: async (runner) => !(await this.history.isApplied(runner, migration.name)),
      execute: (runner) => migration.instance.down(runner),
      record: (runner, durationMs) => this.history.markReverted(runner, migration, durationMs),
      close: (runner) => this.history.record(runner, { migration: migration.name, action: 'reverted', checksum: migration.checksum, detail: 'reverted by another process meanwhile' }),
    });
  }

  /**
   * One step in its own transaction, recorded in it, skipped when already done. On engines
   * that commit DDL as they go a `started` event is written first, so a crash half-way is
   * seen at the next start instead of the step running again on a half-changed schema.
   */
  private async runStep(migration: KnownMigration, step: StepActions): Promise<StepReport | null> {
    await this.history.ensureTables();
    if (await this.withRunner(step.done)) return this.skipped(migration, step.direction);
    this.logger.log({ msg: step.direction === 'up' ? 'applying migration' : 'reverting migration', migration: migration.name, schemaVersion: migration.schemaVersion });
    const started = Date.now();
    if (!this.history.transactionalDdl) {
      await this.history.record(this.dataSource, { migration: migration.name, action: 'started', checksum: migration.checksum, detail: `${step.direction}()` });
    }
    let ran = false;
    try {
      await this.inTransaction(async (runner) => {
        // Again inside the transaction (under BEGIN IMMEDIATE on SQLite): the check that counts.
        if (await step.done(runner)) {
          if (!this.history.transactionalDdl) await step.close(runner);
          return;
        }
        await step.execute(runner);
        await step.record(runner, Date.now() - started);
        ran = true;
      });
    } catch (error) {
      await this.history
        .record(this.dataSource, { migration: migration.name, action: 'failed', checksum: migration.checksum, durationMs: Date.now() - started, detail: `${step.direction}(): ${messageOf(error)}` })
        .catch((recordError: unknown) => this.logger.error({ msg: 'could not record the failed migration', err: messageOf(recordError) }));
      throw migrationFailed(migration, step.direction, error, this.history.transactionalDdl);
    }
    if (!ran) return this.skipped(migration, step.direction);
    const report = { migration: migration.name, schemaVersion: migration.schemaVersion, durationMs: Date.now() - started };
    this.logger.log({ msg: step.direction === 'up' ? 'migration applied' : 'migration reverted', ...report });
    return report;
  }

  private skipped(migration: KnownMigration, direction: 'up' | 'down'): null {
    this.logger.warn({ msg: `${migration.name} was already ${direction === 'up' ? 'applied' : 'reverted'} by another process; skipped`, migration: migration.name });
    return null;
  }

  private async withRunner<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner('master');
    try {
      return await work(runner);
    } finally {
      await runner.release();
    }
  }

  /**
   * SQLite: `BEGIN IMMEDIATE`, so the step holds the write lock from its first read (the
   * "already applied?" check) to its commit, and rolls back whole. MariaDB/MySQL: a
   * transaction, which each DDL statement commits implicitly.
   */
  private async inTransaction(work: (runner: QueryRunner) => Promise<void>): Promise<void> {
    const runner = this.dataSource.createQueryRunner('master');
    await runner.connect();
    const sqlite = this.history.transactionalDdl;
    let open = false;
    try {
      if (sqlite) await runner.query('BEGIN IMMEDIATE');
      else await runner.startTransaction();
      open = true;
      await work(runner);
      if (sqlite) await runner.query('COMMIT');
      else await runner.commitTransaction();
      open = false;
    } catch (error) {
      if (open) await (sqlite ? runner.query('ROLLBACK') : runner.rollbackTransaction()).catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }
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
