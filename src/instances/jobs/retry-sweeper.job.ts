import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { EventBus } from '../../common/events/event-bus';
import { Clock } from '../../common/time/clock';
import { AppConfig } from '../../config/app-config';
import { LogicInstanceEntity } from '../entities/logic-instance.entity';
import { InstanceService } from '../instance.service';
import { MAX_PAGE_SIZE } from '../paging';
import { InstanceJob } from './instance-job';

/**
 * Hands out retries of uncompleted, not running instances (retryTimes <= max, not in
 * the excluded logic ids, created within the look-back window). Each retry is claimed by
 * one conditional UPDATE that succeeds only while retryTimes is what was read and the row
 * was not touched during the cool-down (a claim touches it): two sweepers on two nodes
 * never hand out the same retry, and a row gets at most one retry per cool-down.
 */
@Injectable()
export class RetrySweeperJob implements InstanceJob {
  readonly name = 'retry' as const;

  constructor(
    private readonly instances: InstanceService,
    @InjectRepository(LogicInstanceEntity) private readonly repository: Repository<LogicInstanceEntity>,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async run(): Promise<Record<string, number>> {
    const { maxRetryTimes, excludeLogicIds, lookbackSeconds, cooldownSeconds } = this.config.instanceJobs.retry;
    const startedAt = this.clock.now();
    // Whole seconds: MySQL's serverTime is a `datetime` without fractions.
    const untouchedSince = new Date(Math.floor(startedAt.getTime() / 1000) * 1000 - cooldownSeconds * 1000);
    const criteria = {
      from: new Date(startedAt.getTime() - lookbackSeconds * 1000),
      isRunning: false,
      maxRetryTimes,
      excludeLogicIds,
    };
    let candidates = 0;
    let claimed = 0;
    let cursor: string | undefined;
    do {
      const page = await this.instances.queryUncompletedBizExclude(criteria, { limit: MAX_PAGE_SIZE, cursor });
      for (const instance of page.items) {
        candidates++;
        if (await this.claim(instance, untouchedSince)) claimed++;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return { candidates, claimed, skipped: candidates - claimed };
  }

  /** One atomic conditional UPDATE; only the sweeper whose UPDATE changes the row emits. */
  private async claim(instance: LogicInstanceEntity, untouchedSince: Date): Promise<boolean> {
    const seenRetryTimes = instance.retryTimes ?? 0;
    const result = await this.repository
      .createQueryBuilder()
      .update()
      .set({ retryTimes: () => 'retryTimes + 1', serverTime: this.clock.now() })
      .where('id = :id', { id: instance.id })
      .andWhere('isOver = :notOver AND isRunning = :notRunning', { notOver: 0, notRunning: 0 })
      .andWhere('retryTimes = :seenRetryTimes', { seenRetryTimes })
      // A row another sweeper (or a runtime) touched during the cool-down is left alone.
      .andWhere('(serverTime IS NULL OR serverTime < :untouchedSince)', { untouchedSince })
      .execute();
    if ((result.affected ?? 0) !== 1) return false;
    this.events.emit('instance.retry-due', {
      logicId: instance.logicId ?? '',
      bizId: instance.bizId ?? '',
      instanceId: instance.id,
      retryTimes: seenRetryTimes + 1,
    });
    return true;
  }
}
