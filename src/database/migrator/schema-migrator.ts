import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { inspectSchema, schemaEngineOf } from '../schema-inspector';
import { inspectCosmetics } from '../schema/cosmetics';
import type { SchemaEngine } from '../schema/known-schemas';
import { detectSchemaVersion } from '../schema/version-detector';
import { type DatabaseState, type StepReport, appliedAfter, currentVersion, pendingMigrations } from './database-state';
import { type KnownMigration, describeMigrations, plannedStatements } from './known-migrations';
import { MigrationErrorCode } from './migration-errors';
import { type HeldLock, type MigrationLock } from './migration-lock';
import { matchingValidationOf, refuseUnlessMigratable, unknownSchema, validationOf } from './migration-refusals';
import { SchemaHistory } from './schema-history';
import { StepRunner } from './step-runner';
import { type ValidationReport, validateHistory } from './validation';

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

/** What `db baseline` recorded, and how the database differs from that version in ways that do not matter. */
export interface BaselineResult {
  version: string;
  recorded: string[];
  tolerated: string[];
}

export interface MigrateResult {
  baselined: BaselineResult | null;
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
  private readonly steps: StepRunner;

  constructor(
    private readonly dataSource: DataSource,
    private readonly lock: MigrationLock,
    private readonly lockTimeoutMs: number,
  ) {
    this.history = new SchemaHistory(dataSource);
    this.steps = new StepRunner(dataSource, this.history);
  }

  /** Which engine's rendering of the known schemas this database is compared with. */
  get engine(): SchemaEngine {
    return schemaEngineOf(this.dataSource);
  }

  async knownMigrations(): Promise<KnownMigration[]> {
    this.known ??= await describeMigrations(this.dataSource);
    return this.known;
  }

  /** The migrations with the SQL each would run on this database now (db plan); runs nothing. */
  async planned(migrations: KnownMigration[]): Promise<KnownMigration[]> {
    const planned: KnownMigration[] = [];
    for (const migration of migrations)
      planned.push({ ...migration, up: await plannedStatements(this.dataSource, migration) });
    return planned;
  }

  /** Reads everything, changes nothing. */
  async state(): Promise<DatabaseState> {
    const known = await this.knownMigrations();
    const applied = await this.history.applied();
    if (applied.length === 0) {
      const detection = detectSchemaVersion(
        await inspectSchema(this.dataSource),
        this.engine,
        await inspectCosmetics(this.dataSource),
      );
      if (detection.kind !== 'empty') return { kind: 'unbaselined', known, detection };
    }
    const validation = validateHistory(known, applied, await this.history.latestRecords(), {
      transactionalDdl: this.history.transactionalDdl,
    });
    return { kind: applied.length === 0 ? 'empty' : 'managed', known, validation };
  }

  /** Under the lock: baseline when allowed, validate, record missing checksums, apply what is pending. */
  async migrate(options: MigrateOptions = {}): Promise<MigrateResult> {
    return this.withLock(async (lock) => {
      const state = await this.state();
      refuseUnlessMigratable(state, options);
      const pending = pendingMigrations(state);
      if (options.beforeChanges && (state.kind === 'unbaselined' || pending.length > 0)) {
        await options.beforeChanges({
          from: currentVersion(state),
          to: state.known[state.known.length - 1].schemaVersion,
          migrations: pending.map((m) => m.name),
        });
      }
      const baselined = state.kind === 'unbaselined' ? await this.recordBaseline(state) : null;
      const adopted = await this.adoptUnrecorded(state.known, baselined ? [] : validationOf(state).unrecorded);
      const applied = await this.eachStep(lock, pending, (migration) => this.steps.applyOne(migration), options.onStep);
      return { baselined, adopted, applied };
    });
  }

  /** `db baseline`: records the migrations a logic-solution database already has, runs nothing. */
  async baseline(): Promise<BaselineResult> {
    return this.withLock(async () => {
      const state = await this.state();
      if (state.kind !== 'unbaselined') {
        const why =
          state.kind === 'empty'
            ? 'it is empty: start logic-ha (or run upgrade) to create the schema'
            : `it already has migration history (${state.validation.applied.length} applied)`;
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
      const toApply = [...new Set(byHand.markApplied ?? [])].map((name) =>
        this.handled(state.known, validation, name, false),
      );
      const toRevert = [...new Set(byHand.markReverted ?? [])].map((name) =>
        this.handled(state.known, validation, name, true),
      );
      const byHandNames = new Set([...toApply, ...toRevert].map((m) => m.name));
      await this.history.ensureTables();
      for (const change of validation.changed) {
        await this.history.record(this.dataSource, {
          migration: change.name,
          action: 'repaired',
          checksum: change.current,
          detail: `accepted checksum change from ${change.recorded}`,
        });
      }
      const cleared = validation.failed.filter((f) => !byHandNames.has(f.name));
      for (const failure of cleared) {
        const checksum = failure.applied ? (state.known.find((m) => m.name === failure.name)?.checksum ?? null) : null;
        await this.history.record(this.dataSource, {
          migration: failure.name,
          action: 'repaired',
          checksum,
          detail: `failed attempt of ${failure.at} cleared by an operator`,
        });
      }
      const detail = 'finished by hand, recorded by an operator';
      for (const migration of toApply)
        await this.steps.inTransaction((runner) =>
          this.history.markApplied(runner, migration, 'repaired', null, detail),
        );
      for (const migration of toRevert)
        await this.steps.inTransaction((runner) => this.history.markReverted(runner, migration, null, detail));
      const adopted = await this.adoptUnrecorded(
        state.known,
        validation.unrecorded.filter((name) => !byHandNames.has(name)),
      );
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
  async revertTo(
    target: KnownMigration,
    options: Pick<MigrateOptions, 'beforeChanges' | 'onStep'> = {},
  ): Promise<StepReport[]> {
    return this.withLock(async (lock) => {
      const state = await this.state();
      const toRevert = appliedAfter(state.known, matchingValidationOf(state), target);
      if (toRevert.length > 0)
        await options.beforeChanges?.({
          from: currentVersion(state),
          to: target.schemaVersion,
          migrations: toRevert.map((m) => m.name),
        });
      return this.eachStep(lock, toRevert, (migration) => this.steps.revertOne(migration), options.onStep);
    });
  }

  /** A migration an operator says they finished by hand: pending for an up(), applied for a down(). */
  private handled(
    known: KnownMigration[],
    validation: ValidationReport,
    name: string,
    reverted: boolean,
  ): KnownMigration {
    const migration = known.find((m) => m.name === name);
    const applied = validation.applied.includes(name);
    if (!migration || applied !== reverted) {
      const option = reverted ? '--mark-reverted' : '--mark-applied';
      const candidates = reverted
        ? validation.applied.filter((n) => known.some((m) => m.name === n))
        : [...validation.pending, ...validation.outOfOrder];
      throw new DomainError(
        MigrationErrorCode.UnknownTarget,
        ErrorKind.InvalidInput,
        `${option} ${JSON.stringify(name)} is not ${reverted ? 'an applied' : 'a pending'} migration of this build; ${reverted ? 'applied' : 'pending'}: ${candidates.join(', ') || 'none'}`,
        { details: { field: option.slice(2) } },
      );
    }
    return migration;
  }

  /** One step at a time, each only while the lock is still ours; steps another process did are left out. */
  private async eachStep(
    lock: HeldLock,
    migrations: KnownMigration[],
    run: (migration: KnownMigration) => Promise<StepReport | null>,
    onStep?: (step: StepReport) => void,
  ): Promise<StepReport[]> {
    const done: StepReport[] = [];
    for (const migration of migrations) {
      await lock.assertHeld();
      const step = await run(migration);
      if (!step) continue;
      done.push(step);
      onStep?.(step);
    }
    return done;
  }

  private async withLock<T>(work: (lock: HeldLock) => Promise<T>): Promise<T> {
    const lock = await this.lock.acquire(this.lockTimeoutMs);
    try {
      return await work(lock);
    } finally {
      await lock.release();
    }
  }

  private async recordBaseline(state: Extract<DatabaseState, { kind: 'unbaselined' }>): Promise<BaselineResult> {
    const detection = state.detection;
    if (detection.kind !== 'match') throw unknownSchema(detection);
    const recorded = state.known.slice(0, state.known.findIndex((m) => m.schemaVersion === detection.version) + 1);
    await this.history.ensureTables();
    await this.steps.inTransaction(async (runner) => {
      for (const migration of recorded) await this.history.markApplied(runner, migration, 'baseline', null);
    });
    const result = {
      version: detection.version,
      recorded: recorded.map((m) => m.name),
      tolerated: detection.tolerated,
    };
    this.logger.log({ msg: 'database baselined', ...result });
    return result;
  }

  private async adoptUnrecorded(known: KnownMigration[], names: string[]): Promise<string[]> {
    if (names.length === 0) return names;
    await this.history.ensureTables();
    for (const name of names) {
      const migration = known.find((m) => m.name === name)!;
      await this.history.record(this.dataSource, {
        migration: name,
        action: 'adopted',
        checksum: migration.checksum,
        detail: 'applied before checksums were kept',
      });
    }
    this.logger.log({ msg: 'checksums recorded for migrations applied before checksums were kept', migrations: names });
    return names;
  }
}
