import { resolve } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { isParseError, parseMysqlUrl } from '../config/mysql-url';
import { BackupErrorCode } from './backup.errors';
import type { Progress } from './backup.types';
import { ProgressTracker } from './progress';
import { RestoreRequest, RestoreResult, RestoreService, describePlan } from './restore.service';

export interface RestoreJobView {
  id: string;
  backupId: string;
  state: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  progress: Progress;
  result: RestoreResult | null;
  error: { code: string; message: string } | null;
}

interface RestoreJob {
  view: RestoreJobView;
  progress: ProgressTracker;
}

const KEPT_JOBS = 20;

/**
 * Restores started through the API: checked synchronously (bad input, unknown backup,
 * damaged chain link, non-empty target answer at once), then run in the background with
 * progress. One at a time. The service's own live database is never a target here: that
 * restore is done with the service stopped, through the CLI.
 */
@Injectable()
export class RestoreJobsService {
  private readonly logger = new Logger('Restore');
  private readonly jobs = new Map<string, RestoreJob>();
  private running: string | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly restores: RestoreService,
  ) {}

  async dryRun(request: RestoreRequest) {
    const plan = await this.restores.plan(request.backupId, request.to);
    this.refuseLiveDatabase(request.target);
    this.restores.checkKeys(plan);
    await this.restores.checkTarget(plan, request.target, request.force ?? false);
    return { dryRun: true, target: request.target, ...describePlan(plan) };
  }

  async start(request: RestoreRequest): Promise<RestoreJobView> {
    if (this.running) {
      throw new DomainError(BackupErrorCode.RestoreRunning, ErrorKind.Conflict, `restore ${this.running} is running`, {
        details: { runningId: this.running },
      });
    }
    await this.dryRun(request);
    const now = this.clock.now();
    const id = `restore-${now.getTime()}`;
    const job: RestoreJob = {
      progress: new ProgressTracker(),
      view: {
        id,
        backupId: request.backupId,
        state: 'running',
        startedAt: now.toISOString(),
        finishedAt: null,
        progress: { phase: 'starting', bytes: 0, files: 0, rows: 0, percent: null },
        result: null,
        error: null,
      },
    };
    this.jobs.set(id, job);
    this.running = id;
    this.forgetOldJobs();
    void this.run(job, request);
    return this.view(id)!;
  }

  view(id: string): RestoreJobView | null {
    const job = this.jobs.get(id);
    if (!job) return null;
    return { ...job.view, progress: job.progress.snapshot() };
  }

  private async run(job: RestoreJob, request: RestoreRequest): Promise<void> {
    this.logger.log({
      msg: 'restore started',
      id: job.view.id,
      backupId: request.backupId,
      to: request.to ?? 'latest',
    });
    try {
      job.view.result = await this.restores.restore(request, job.progress, new AbortController().signal);
      job.view.state = 'succeeded';
      this.logger.log({ msg: 'restore succeeded', id: job.view.id, rowCounts: job.view.result.rowCounts });
    } catch (error) {
      job.view.state = 'failed';
      job.view.error = {
        code: error instanceof DomainError ? error.code : 'RESTORE_FAILED',
        message: (error as Error).message,
      };
      this.logger.error({ msg: 'restore failed', id: job.view.id, err: job.view.error.message });
    } finally {
      job.view.finishedAt = this.clock.now().toISOString();
      this.running = null;
    }
  }

  private refuseLiveDatabase(target: string): void {
    const db = this.config.database;
    const live =
      db.type === 'sqlite'
        ? resolve(target) === resolve(db.sqlitePath)
        : (() => {
            const parsed = parseMysqlUrl(target);
            // Any server of the topology is live: a standby replicates what is restored onto the primary.
            const servers = [db.primary, ...db.standbys];
            return (
              !isParseError(parsed) &&
              servers.some((s) => parsed.port === s.port && parsed.host === s.host && parsed.database === s.database)
            );
          })();
    if (live) {
      throw new DomainError(
        BackupErrorCode.TargetRefused,
        ErrorKind.Conflict,
        "target is this service's own live database: stop the service and restore with the CLI",
        {
          details: { field: 'target' },
        },
      );
    }
  }

  private forgetOldJobs(): void {
    const ids = [...this.jobs.keys()];
    for (const id of ids.slice(0, Math.max(0, ids.length - KEPT_JOBS))) if (id !== this.running) this.jobs.delete(id);
  }
}
