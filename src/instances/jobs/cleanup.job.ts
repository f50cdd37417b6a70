import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Clock } from '../../common/time/clock';
import { AppConfig } from '../../config/app-config';
import { deleteInBatches } from '../batch-delete';
import { LogicInstanceEntity } from '../entities/logic-instance.entity';
import { InstanceJob } from './instance-job';

const DAY_MS = 24 * 3600 * 1000;

/** Removes completed instances created before the retention period, in batches. */
@Injectable()
export class CleanupJob implements InstanceJob {
  readonly name = 'cleanup' as const;

  constructor(
    @InjectRepository(LogicInstanceEntity) private readonly repository: Repository<LogicInstanceEntity>,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async run(): Promise<Record<string, number>> {
    const createdBefore = new Date(
      this.clock.now().getTime() - this.config.instanceJobs.cleanup.retentionDays * DAY_MS,
    );
    const deleted = await deleteInBatches(this.repository, [
      { sql: 'isOver = :over', params: { over: 1 } },
      { sql: 'createTime < :createdBefore', params: { createdBefore } },
    ]);
    return { deleted };
  }
}
