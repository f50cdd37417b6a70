import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LogicInstanceEntity } from './entities/logic-instance.entity';
import { InstanceAdminController } from './instance-admin.controller';
import { InstanceLifecycleController } from './instance-lifecycle.controller';
import { InstanceLifecycleService } from './instance-lifecycle.service';
import { InstanceMetrics } from './instance.metrics';
import { InstanceService } from './instance.service';
import { CleanupJob } from './jobs/cleanup.job';
import { InstanceJobsScheduler, RUN_SCHEDULES } from './jobs/instance-jobs.scheduler';
import { InstanceJobsService } from './jobs/instance-jobs.service';
import { LongRunningJob } from './jobs/long-running.job';
import { RetrySweeperJob } from './jobs/retry-sweeper.job';

@Module({})
export class InstancesModule {
  static forRoot(options: { runSchedules: boolean }): DynamicModule {
    return {
      module: InstancesModule,
      imports: [TypeOrmModule.forFeature([LogicInstanceEntity]), ScheduleModule.forRoot()],
      controllers: [InstanceLifecycleController, InstanceAdminController],
      providers: [
        InstanceService,
        InstanceLifecycleService,
        InstanceMetrics,
        LongRunningJob,
        RetrySweeperJob,
        CleanupJob,
        InstanceJobsService,
        InstanceJobsScheduler,
        { provide: RUN_SCHEDULES, useValue: options.runSchedules },
      ],
      exports: [InstanceService, InstanceLifecycleService, InstanceJobsService],
    };
  }
}
