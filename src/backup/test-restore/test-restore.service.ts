import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { EventBus } from '../../common/events/event-bus';
import { Clock } from '../../common/time/clock';
import { BackupErrorCode } from '../backup.errors';
import type { BackupManifest, BackupVerification, Progress } from '../backup.types';
import { BackupReader } from '../backup-reader';
import { BackupCatalogService } from '../catalog/backup-catalog.service';
import { ProgressTracker } from '../progress';
import { RestoreService } from '../restore.service';
import { type FingerprintComparison, compareFingerprints } from './fingerprint-comparison';
import {
  TEST_RESTORE_LOCK,
  type ScratchLock,
  type ScratchTarget,
  ScratchDatabases,
  targetUrl,
} from './scratch-database';

/** Where test restores go, looked up per run (it follows the primary); throws when this node cannot test-restore. */
export const SCRATCH_TARGET = Symbol('SCRATCH_TARGET');
export type ScratchTargetSource = () => ScratchTarget;

export interface TestRestoreReport {
  ok: boolean;
  /** The backup whose recorded fingerprints were compared. */
  backupId: string;
  /** Full first: what was restored. */
  chain: string[];
  /** The point restored to, the one the fingerprints were taken at. */
  at: BackupVerification['at'];
  scratchTarget: string;
  comparison: FingerprintComparison | null;
  /** Why it failed: a restore error, or the tables that did not match. */
  error: string | null;
  checkedAt: string;
  durationMs: number;
}

export interface TestRestoreJobView {
  id: string;
  /** The backup asked for, or null for "the newest chain". */
  requestedId: string | null;
  backupId: string;
  state: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  progress: Progress;
  report: TestRestoreReport | null;
}

interface Plan {
  chain: BackupManifest[];
  checked: BackupManifest & { verification: BackupVerification };
}

interface Job {
  view: TestRestoreJobView;
  progress: ProgressTracker;
  done: Promise<TestRestoreReport>;
}

const KEPT_JOBS = 20;

/**
 * Proves a chain restorable: restores it into a scratch database up to the point its
 * newest fingerprinted backup recorded, fingerprints the result, compares table by table,
 * records the outcome in the catalog, and always drops the scratch database (only ever one it
 * created: see ScratchDatabases.prepare). Failure emits
 * `backup.test-restore-failed`. One at a time per process.
 */
@Injectable()
export class TestRestoreService implements OnApplicationShutdown {
  private readonly logger = new Logger('TestRestore');
  private readonly jobs = new Map<string, Job>();
  private running: Job | null = null;
  /** Set synchronously by start() before its first await: two concurrent starts cannot both pass the check. */
  private starting = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly clock: Clock,
    private readonly events: EventBus,
    private readonly catalog: BackupCatalogService,
    private readonly reader: BackupReader,
    private readonly restores: RestoreService,
    private readonly scratch: ScratchDatabases,
    @Inject(SCRATCH_TARGET) private readonly targetOf: ScratchTargetSource,
  ) {}

  /**
   * Checks at once (unsupported engine, unknown or unfinished backup, nothing fingerprinted,
   * one already running), then runs in the background. `backupId` null: the newest chain.
   */
  async start(backupId: string | null): Promise<TestRestoreJobView> {
    if (this.running || this.starting) {
      const runningId = this.running?.view.id ?? null;
      throw new DomainError(
        BackupErrorCode.TestRestoreRunning,
        ErrorKind.Conflict,
        runningId ? `test restore ${runningId} is running` : 'a test restore is starting',
        { details: { runningId } },
      );
    }
    this.starting = true;
    try {
      return await this.begin(backupId);
    } finally {
      this.starting = false;
    }
  }

  private async begin(backupId: string | null): Promise<TestRestoreJobView> {
    if (backupId) await this.assertFinished(backupId);
    const target = this.targetOf();
    const plan = await this.plan(backupId);
    const lock = await this.lockServer(target);
    const ready = await this.prepare(target, lock);
    const now = this.clock.now();
    const progress = new ProgressTracker();
    const view: TestRestoreJobView = {
      id: `test-restore-${now.getTime()}`,
      requestedId: backupId,
      backupId: plan.checked.id,
      state: 'running',
      startedAt: now.toISOString(),
      finishedAt: null,
      progress: progress.snapshot(),
      report: null,
    };
    const job: Job = { view, progress, done: Promise.resolve(null as never) };
    this.jobs.set(view.id, job);
    this.running = job;
    this.forgetOldJobs();
    job.done = this.execute(plan, ready, progress, lock).then(
      (report) => {
        view.report = report;
        view.state = report.ok ? 'succeeded' : 'failed';
        return report;
      },
      // execute() records every failure itself; this is a bug's last resort.
      (error: Error) => {
        view.state = 'failed';
        this.logger.error({ msg: 'test restore crashed', id: view.id, err: error.message });
        throw error;
      },
    );
    void job.done
      .catch(() => undefined)
      .finally(() => {
        view.finishedAt = this.clock.now().toISOString();
        this.running = null;
      });
    return this.view(view.id)!;
  }

  /** Runs one and waits for it (CLI, schedule). */
  async run(backupId: string | null): Promise<TestRestoreReport> {
    const view = await this.start(backupId);
    return this.waitFor(view.id);
  }

  /** The report of a job this process started (the CLI shows progress while it waits). */
  waitFor(jobId: string): Promise<TestRestoreReport> {
    const job = this.jobs.get(jobId);
    if (!job) return Promise.reject(new Error(`no test restore job ${jobId} in this process`));
    return job.done;
  }

  view(id: string): TestRestoreJobView | null {
    const job = this.jobs.get(id);
    return job ? { ...job.view, progress: job.progress.snapshot() } : null;
  }

  onApplicationShutdown(): void {
    this.abort.abort(new Error('the service is shutting down'));
  }

  /**
   * Another process (the CLI, or a service beside this one) test-restoring into the same
   * server would drop our scratch database under us: refuse while it holds the lock. A server
   * that cannot be reached gets no lock here; the run then fails on it and says so.
   */
  private async lockServer(target: ScratchTarget): Promise<ScratchLock | null> {
    const lock = await this.scratch.lock(target).catch((error: Error) => {
      this.logger.warn({ msg: 'could not take the test restore lock', err: error.message });
      return undefined;
    });
    if (lock === null)
      throw new DomainError(
        BackupErrorCode.TestRestoreRunning,
        ErrorKind.Conflict,
        `another process is test-restoring on ${this.scratch.describe(target)} (it holds the lock ${TEST_RESTORE_LOCK})`,
        { details: { runningId: null } },
      );
    return lock ?? null;
  }

  /**
   * Refusals (a live app database, a database logic-ha did not create) answer the request
   * with 409 and record nothing: they are the configuration's fault, not the backup's.
   */
  private async prepare(target: ScratchTarget, lock: ScratchLock | null): Promise<ScratchTarget> {
    try {
      return await this.scratch.prepare(target);
    } catch (error) {
      await lock?.release();
      throw error;
    }
  }

  /** The chain to restore and the newest backup in it that carries fingerprints. */
  private async plan(backupId: string | null): Promise<Plan> {
    const tipId = backupId ?? (await this.newestChainTip());
    const chain = await this.reader.chainOf(tipId);
    const checked = [...chain].reverse().find((b) => b.verification !== undefined);
    if (!checked) {
      throw new DomainError(
        BackupErrorCode.TestRestoreNoFingerprint,
        ErrorKind.Conflict,
        `no backup in the chain of ${tipId} recorded table fingerprints (taken by a version before test restores, or its snapshot could not be fingerprinted): take a full backup`,
        { details: { chain: chain.map((b) => b.id) } },
      );
    }
    return { chain: chain.slice(0, chain.indexOf(checked) + 1), checked: checked as Plan['checked'] };
  }

  private async assertFinished(id: string): Promise<void> {
    const record = await this.catalog.find(id);
    if (!record) throw new DomainError(BackupErrorCode.NotFound, ErrorKind.NotFound, `no backup ${id} in the catalog`);
    if (record.state !== 'succeeded') {
      throw new DomainError(
        BackupErrorCode.NotUsable,
        ErrorKind.Conflict,
        `backup ${id} is ${record.state}: only a succeeded backup can be test-restored`,
        { details: { state: record.state } },
      );
    }
  }

  /** The newest succeeded full and the newest succeeded backup built on it. */
  private async newestChainTip(): Promise<string> {
    const rows = (await this.catalog.all()).filter((row) => row.state === 'succeeded');
    const full = rows.filter((row) => row.type === 'full').pop();
    if (!full)
      throw new DomainError(
        BackupErrorCode.NoFullBackup,
        ErrorKind.Conflict,
        'there is no successful full backup to test-restore',
      );
    const members = new Set([full.id]);
    let tip = full.id;
    for (const row of rows) {
      if (row.parentId !== null && members.has(row.parentId)) {
        members.add(row.id);
        tip = row.id;
      }
    }
    return tip;
  }

  private async execute(
    plan: Plan,
    target: ScratchTarget,
    progress: ProgressTracker,
    lock: ScratchLock | null,
  ): Promise<TestRestoreReport> {
    const started = this.clock.now();
    const { checked } = plan;
    this.logger.log({
      msg: 'test restore started',
      backupId: checked.id,
      at: checked.verification.at,
      target: this.scratch.describe(target),
    });
    let comparison: FingerprintComparison | null = null;
    let error: string | null = null;
    try {
      await this.restores.restore(
        {
          backupId: checked.id,
          // A full's fingerprint is its dump's snapshot; an incremental's lies inside its binlog.
          to: checked.type === 'full' ? null : checked.verification.at.gtid,
          target: targetUrl(target.endpoint),
          // prepare() made it empty and marked: no blind DROP of whatever the URL names.
          force: false,
          unlogged: target.unlogged,
        },
        progress,
        this.abort.signal,
      );
      progress.enter('compare');
      comparison = compareFingerprints(checked.verification.tables, await this.scratch.fingerprint(target));
      if (!comparison.ok)
        error = `the restored data differs from what ${checked.id} recorded: ${comparison.problems.join('; ')}`;
    } catch (failure) {
      error = `the restore failed: ${(failure as Error).message}`;
    } finally {
      await this.scratch.drop(target).catch((dropError: Error) => {
        this.logger.error({
          msg: 'could not drop the scratch database',
          target: this.scratch.describe(target),
          err: dropError.message,
        });
      });
      await lock?.release();
    }
    progress.enter('done');
    const report: TestRestoreReport = {
      ok: error === null,
      backupId: checked.id,
      chain: plan.chain.map((b) => b.id),
      at: checked.verification.at,
      scratchTarget: this.scratch.describe(target),
      comparison,
      error,
      checkedAt: started.toISOString(),
      durationMs: this.clock.now().getTime() - started.getTime(),
    };
    await this.record(report);
    return report;
  }

  private async record(report: TestRestoreReport): Promise<void> {
    const detail = JSON.stringify({ chain: report.chain, at: report.at, tables: report.comparison?.tables ?? [] });
    await this.catalog
      .markRestoreChecked(report.backupId, { at: new Date(report.checkedAt), error: report.error, detail })
      .catch((error: Error) =>
        this.logger.error({ msg: 'could not record the test restore in the catalog', err: error.message }),
      );
    if (report.ok) {
      this.logger.log({
        msg: 'test restore verified',
        backupId: report.backupId,
        tables: report.comparison?.tables.length,
        durationMs: report.durationMs,
      });
      return;
    }
    this.logger.error({ msg: 'test restore failed', backupId: report.backupId, err: report.error });
    this.events.emit('backup.test-restore-failed', {
      id: report.backupId,
      reason: report.error!,
      tables: report.comparison?.tables.filter((t) => t.verdict !== 'match').map((t) => t.table) ?? [],
    });
  }

  private forgetOldJobs(): void {
    const ids = [...this.jobs.keys()];
    for (const id of ids.slice(0, Math.max(0, ids.length - KEPT_JOBS)))
      if (this.jobs.get(id) !== this.running) this.jobs.delete(id);
  }
}
