import { IsIn } from 'class-validator';
import { INSTANCE_JOB_NAMES, InstanceJobName } from '../jobs/instance-job';

export class JobParams {
  @IsIn(INSTANCE_JOB_NAMES)
  job: InstanceJobName;
}
