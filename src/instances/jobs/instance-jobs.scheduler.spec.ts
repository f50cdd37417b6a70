import { SwitchableLeadership } from '../../../test/support/failover-fakes';
import { Logger } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';
import type { CronJob } from 'cron';
import type { AppConfig } from '../../config/app-config';
import { InstanceJobsScheduler } from './instance-jobs.scheduler';
import type { InstanceJobsService } from './instance-jobs.service';

function config(overrides: Partial<Record<'longRunning' | 'retry' | 'cleanup', string>>): AppConfig {
  return {
    instanceJobs: {
      timeZone: 'UTC',
      longRunning: { schedule: overrides.longRunning ?? '* * * * *', timeoutSeconds: 60 },
      retry: {
        schedule: overrides.retry ?? '*/5 * * * *',
        maxRetryTimes: 3,
        excludeLogicIds: [],
        lookbackSeconds: 3600,
        cooldownSeconds: 60,
      },
      cleanup: { schedule: overrides.cleanup ?? '30 3 * * *', retentionDays: 30 },
    },
  } as unknown as AppConfig;
}

class FakeRegistry {
  jobs = new Map<string, CronJob>();
  addCronJob(name: string, job: CronJob) {
    this.jobs.set(name, job);
  }
  getCronJobs() {
    return this.jobs;
  }
  deleteCronJob(name: string) {
    void this.jobs.get(name)?.stop();
    this.jobs.delete(name);
  }
}

describe('InstanceJobsScheduler', () => {
  let registry: FakeRegistry;
  const runs: string[] = [];
  let running = false;
  const leadership = new SwitchableLeadership();
  const jobs = {
    isRunning: () => running,
    run: async (name: string) => {
      runs.push(name);
      return {};
    },
  } as unknown as InstanceJobsService;

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));

  beforeEach(() => {
    leadership.leading = true;
    registry = new FakeRegistry();
    runs.length = 0;
    running = false;
  });
  afterEach(() => {
    for (const job of registry.jobs.values()) void job.stop();
  });

  it('registers each configured schedule, in the configured time zone, and skips `off`', () => {
    new InstanceJobsScheduler(
      config({ retry: 'off' }),
      registry as unknown as SchedulerRegistry,
      jobs,
      true,
      leadership,
    ).onApplicationBootstrap();
    expect([...registry.jobs.keys()]).toEqual(['instances.long-running', 'instances.cleanup']);
    expect(registry.jobs.get('instances.cleanup')!.cronTime.source).toBe('30 3 * * *');
    expect(registry.jobs.get('instances.cleanup')!.isActive).toBe(true);
  });

  it('registers nothing when schedules are disabled (the CLI)', () => {
    new InstanceJobsScheduler(
      config({}),
      registry as unknown as SchedulerRegistry,
      jobs,
      false,
      leadership,
    ).onApplicationBootstrap();
    expect(registry.jobs.size).toBe(0);
  });

  it('skips a tick while the previous run is still going, and runs it otherwise', async () => {
    new InstanceJobsScheduler(
      config({}),
      registry as unknown as SchedulerRegistry,
      jobs,
      true,
      leadership,
    ).onApplicationBootstrap();
    running = true;
    await registry.jobs.get('instances.retry')!.fireOnTick();
    expect(runs).toEqual([]);
    running = false;
    await registry.jobs.get('instances.retry')!.fireOnTick();
    expect(runs).toEqual(['retry']);
  });

  it('leaves the jobs to the leader: a follower runs none (cluster mode)', async () => {
    new InstanceJobsScheduler(
      config({}),
      registry as unknown as SchedulerRegistry,
      jobs,
      true,
      leadership,
    ).onApplicationBootstrap();
    leadership.leading = false;
    await registry.jobs.get('instances.retry')!.fireOnTick();
    expect(runs).toEqual([]);
  });

  it('removes its schedules on shutdown', () => {
    const scheduler = new InstanceJobsScheduler(
      config({}),
      registry as unknown as SchedulerRegistry,
      jobs,
      true,
      leadership,
    );
    scheduler.onApplicationBootstrap();
    scheduler.onApplicationShutdown();
    expect(registry.jobs.size).toBe(0);
  });
});
