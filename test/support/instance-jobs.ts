import type { AppConfig, InstanceJobsConfig } from '../../src/config/app-config';
import { LogicInstanceEntity } from '../../src/instances/entities/logic-instance.entity';
import { CleanupJob } from '../../src/instances/jobs/cleanup.job';
import { LongRunningJob } from '../../src/instances/jobs/long-running.job';
import { RetrySweeperJob } from '../../src/instances/jobs/retry-sweeper.job';
import type { InstanceWorld } from './instance-fixtures';

export const JOBS_CONFIG: InstanceJobsConfig = {
  timeZone: 'UTC',
  longRunning: { schedule: 'off', timeoutSeconds: 3600 },
  retry: {
    schedule: 'off',
    maxRetryTimes: 2,
    excludeLogicIds: ['L3'],
    lookbackSeconds: 7 * 24 * 3600,
    cooldownSeconds: 60,
  },
  cleanup: { schedule: 'off', retentionDays: 7 },
};

/** The three jobs over a world's services, with the given job settings. */
export function jobsFor(world: InstanceWorld, instanceJobs: InstanceJobsConfig = JOBS_CONFIG) {
  const config = { instanceJobs } as AppConfig;
  const repository = world.dataSource.getRepository(LogicInstanceEntity);
  return {
    longRunning: new LongRunningJob(world.instances, world.bus, world.clock, config),
    retry: new RetrySweeperJob(world.instances, repository, world.bus, world.clock, config),
    cleanup: new CleanupJob(repository, world.clock, config),
  };
}
