/** The instances feature's public face (see src/backup/index.ts). */
export { InstancesModule } from './instances.module';
export { LogicInstanceEntity } from './entities/logic-instance.entity';
export { LogicLogEntity } from './entities/logic-log.entity';
export { InstanceJobsService } from './jobs/instance-jobs.service';
export { INSTANCE_JOB_NAMES } from './jobs/instance-job';
export type { InstanceJobName } from './jobs/instance-job';
