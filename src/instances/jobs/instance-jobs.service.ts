import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { Clock } from '../../common/time/clock';
import { InstanceErrorCode } from '../instance.errors';
import { InstanceMetrics } from '../instance.metrics';
import { CleanupJob } from './cleanup.job';
import { InstanceJob, InstanceJobName, JobReport } from './instance-job';
import { LongRunningJob } from './long-running.job';
import { RetrySweeperJob } from './retry-sweeper.job';

export enum JobErrorCode {
  AlreadyRunning = 'JOB_ALREADY_RUNNING',
}

/** Runs the recovery jobs, one run of each at a time, and reports what each run did. */
@Injectable()
export class InstanceJobsService {
  private readonly logger = new Logger('InstanceJobs');
  private readonly jobs: Map<InstanceJobName, InstanceJob>;
  private readonly running = new Set<InstanceJobName>();

  constructor(
    longRunning: LongRunningJob,
    retry: RetrySweeperJob,
    cleanup: CleanupJob,
    private readonly clock: Clock,
    private readonly metrics: InstanceMetrics,
  ) {
    this.jobs = new Map<InstanceJobName, InstanceJob>([longRunning, retry, cleanup].map((job) => [job.name, job]));
  }

  isRunning(name: InstanceJobName): boolean {
    return this.running.has(name);
  }

  async run(name: InstanceJobName, trigger: JobReport['trigger']): Promise<JobReport> {
    const job = this.jobs.get(name);
    if (!job) throw new DomainError(InstanceErrorCode.UnknownJob, ErrorKind.NotFound, `No job named "${name}"`);
    if (this.running.has(name)) {
      throw new DomainError(JobErrorCode.AlreadyRunning, ErrorKind.Conflict, `Job "${name}" is already running`);
    }
    this.running.add(name);
    const started = this.clock.now();
    try {
      const counts = await job.run();
      this.metrics.jobFinished(name, counts);
      const report: JobReport = {
        job: name,
        trigger,
        startedAt: started.toISOString(),
        durationMs: this.clock.now().getTime() - started.getTime(),
        counts,
      };
      this.logger.log({ msg: 'job finished', ...report });
      return report;
    } catch (error) {
      this.logger.error({
        msg: 'job failed',
        job: name,
        trigger,
        err: error instanceof Error ? error.stack : String(error),
      });
      throw error;
    } finally {
      this.running.delete(name);
    }
  }
}
