import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Leadership } from '../../cluster';
import { AppConfig } from '../../config/app-config';
import { CRON_OFF } from '../../config/cron.validator';
import { InstanceJobName } from './instance-job';
import { InstanceJobsService } from './instance-jobs.service';

/** False in the CLI: a one-off command must not start the schedules. */
export const RUN_SCHEDULES = Symbol('RUN_SCHEDULES');

/**
 * Builds the jobs' cron schedules from configuration at start. A tick that finds its job
 * still running is skipped and logged, so runs never pile up.
 */
@Injectable()
export class InstanceJobsScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('InstanceJobs');

  constructor(
    private readonly config: AppConfig,
    private readonly registry: SchedulerRegistry,
    private readonly jobs: InstanceJobsService,
    @Inject(RUN_SCHEDULES) private readonly runSchedules: boolean,
    private readonly leadership: Leadership,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.runSchedules) return;
    const { timeZone, longRunning, retry, cleanup } = this.config.instanceJobs;
    const schedules: [InstanceJobName, string][] = [
      ['long-running', longRunning.schedule],
      ['retry', retry.schedule],
      ['cleanup', cleanup.schedule],
    ];
    for (const [name, schedule] of schedules) {
      if (schedule === CRON_OFF) {
        this.logger.log({ msg: 'job switched off', job: name });
        continue;
      }
      const cron = CronJob.from({ cronTime: schedule, timeZone, start: true, onTick: () => this.tick(name) });
      this.registry.addCronJob(`instances.${name}`, cron);
      this.logger.log({ msg: 'job scheduled', job: name, schedule, timeZone });
    }
  }

  onApplicationShutdown(): void {
    for (const name of this.registry.getCronJobs().keys()) {
      if (name.startsWith('instances.')) this.registry.deleteCronJob(name);
    }
  }

  private async tick(name: InstanceJobName): Promise<void> {
    // Every node keeps the schedule; only the leader runs the job (cluster mode).
    if (!this.leadership.isLeader()) return;
    if (this.jobs.isRunning(name)) {
      this.logger.warn({ msg: 'scheduled run skipped: the previous one is still running', job: name });
      return;
    }
    try {
      await this.jobs.run(name, 'schedule');
    } catch {
      // Already logged by InstanceJobsService; the next tick tries again.
    }
  }
}
