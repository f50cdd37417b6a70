import { Logger } from '@nestjs/common';
import type { DataSource, QueryRunner } from 'typeorm';
import { messageOf } from '../../common/errors/error-message';
import type { StepReport } from './database-state';
import type { KnownMigration } from './known-migrations';
import { migrationFailed } from './migration-refusals';
import type { SchemaHistory } from './schema-history';

interface StepActions {
  direction: 'up' | 'down';
  /** True when the step is already done (by another process). */
  done(runner: QueryRunner): Promise<boolean>;
  execute(runner: QueryRunner): Promise<void>;
  record(runner: QueryRunner, durationMs: number): Promise<void>;
  /** Closes a `started` event when the step turned out to be done already. */
  close(runner: QueryRunner): Promise<void>;
}

/**
 * Runs one migration step (up or down) at a time, each in its own transaction with its
 * bookkeeping, skipped when another process did it already.
 */
export class StepRunner {
  private readonly logger = new Logger('Migrations');

  constructor(
    private readonly dataSource: DataSource,
    private readonly history: SchemaHistory,
  ) {}

  /** null when another process applied it meanwhile (a lock taken over): nothing is run twice. */
  async applyOne(migration: KnownMigration): Promise<StepReport | null> {
    return this.runStep(migration, {
      direction: 'up',
      done: (runner) => this.history.isApplied(runner, migration.name),
      execute: (runner) => migration.instance.up(runner),
      record: (runner, durationMs) => this.history.markApplied(runner, migration, 'applied', durationMs),
      // Someone else's run applied it: its checksum is this build's (validated), the history closes on it.
      close: (runner) =>
        this.history.record(runner, {
          migration: migration.name,
          action: 'adopted',
          checksum: migration.checksum,
          detail: 'applied by another process meanwhile',
        }),
    });
  }

  async revertOne(migration: KnownMigration): Promise<StepReport | null> {
    return this.runStep(migration, {
      direction: 'down',
      done: async (runner) => !(await this.history.isApplied(runner, migration.name)),
      execute: (runner) => migration.instance.down(runner),
      record: (runner, durationMs) => this.history.markReverted(runner, migration, durationMs),
      close: (runner) =>
        this.history.record(runner, {
          migration: migration.name,
          action: 'reverted',
          checksum: migration.checksum,
          detail: 'reverted by another process meanwhile',
        }),
    });
  }

  /**
   * One step in its own transaction, recorded in it, skipped when already done. On engines
   * that commit DDL as they go a `started` event is written first, so a crash half-way is
   * seen at the next start instead of the step running again on a half-changed schema.
   */
  private async runStep(migration: KnownMigration, step: StepActions): Promise<StepReport | null> {
    await this.history.ensureTables();
    if (await this.withRunner((runner) => step.done(runner))) return this.skipped(migration, step.direction);
    this.logger.log({
      msg: step.direction === 'up' ? 'applying migration' : 'reverting migration',
      migration: migration.name,
      schemaVersion: migration.schemaVersion,
    });
    const started = Date.now();
    if (!this.history.transactionalDdl) {
      await this.history.record(this.dataSource, {
        migration: migration.name,
        action: 'started',
        checksum: migration.checksum,
        detail: `${step.direction}()`,
      });
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
        .record(this.dataSource, {
          migration: migration.name,
          action: 'failed',
          checksum: migration.checksum,
          durationMs: Date.now() - started,
          detail: `${step.direction}(): ${messageOf(error)}`,
        })
        .catch((recordError: unknown) =>
          this.logger.error({ msg: 'could not record the failed migration', err: messageOf(recordError) }),
        );
      throw migrationFailed(migration, step.direction, error, this.history.transactionalDdl);
    }
    if (!ran) return this.skipped(migration, step.direction);
    const report = {
      migration: migration.name,
      schemaVersion: migration.schemaVersion,
      durationMs: Date.now() - started,
    };
    this.logger.log({ msg: step.direction === 'up' ? 'migration applied' : 'migration reverted', ...report });
    return report;
  }

  private skipped(migration: KnownMigration, direction: 'up' | 'down'): null {
    this.logger.warn({
      msg: `${migration.name} was already ${direction === 'up' ? 'applied' : 'reverted'} by another process; skipped`,
      migration: migration.name,
    });
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
  async inTransaction(work: (runner: QueryRunner) => Promise<void>): Promise<void> {
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
