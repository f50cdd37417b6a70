import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { Clock } from '../common/time/clock';
import { deleteIdsInBatches, deleteInBatches } from './batch-delete';
import { LogicInstanceEntity } from './entities/logic-instance.entity';
import {
  Condition,
  DeleteBizCriteria,
  UncompletedCriteria,
  afterPosition,
  applyConditions,
  longRunningConditions,
  newestOfPair,
  uncompletedConditions,
} from './instance-criteria';
import { InstanceErrorCode } from './instance.errors';
import { Page, PageRequest, decodeCursor, encodeCursor, pageSize } from './paging';

export interface NextStep {
  nextId?: string | null;
  nextName?: string | null;
  varsJsonEnd?: string | null;
}

/**
 * logic-solution's LogicInstanceService over `logic_instance`, with its semantics kept
 * (its five tables, and what its runtimes expect of each operation) and its flaws fixed: every value is a bound
 * parameter, errors are reported (never swallowed into null), lists are paged and bulk
 * deletes run in batches.
 */
@Injectable()
export class InstanceService {
  constructor(
    @InjectRepository(LogicInstanceEntity) private readonly instances: Repository<LogicInstanceEntity>,
    private readonly clock: Clock,
  ) {}

  /** The newest row of the pair by serverTime; null when either id is missing or no row exists. */
  async getInstance(logicId?: string, bizId?: string): Promise<LogicInstanceEntity | null> {
    if (!logicId || !bizId) return null;
    return newestOfPair(this.instances.createQueryBuilder('i'), logicId, bizId).getOne();
  }

  /** Running instances whose startTime is more than `timeoutSeconds` before now (Clock). */
  async queryLongtimeRunningBiz(timeoutSeconds: number, page: PageRequest = {}): Promise<Page<LogicInstanceEntity>> {
    const startedBefore = new Date(this.clock.now().getTime() - timeoutSeconds * 1000);
    return this.page(longRunningConditions(startedBefore), 'startTime', page);
  }

  /** The Exclude variant without a retry limit or exclusions. */
  async queryUncompletedBiz(
    criteria: Pick<UncompletedCriteria, 'from' | 'to' | 'isRunning' | 'isSuccess'>,
    page: PageRequest = {},
  ): Promise<Page<LogicInstanceEntity>> {
    const { from, to, isRunning, isSuccess } = criteria;
    return this.queryUncompletedBizExclude({ from, to, isRunning, isSuccess }, page);
  }

  async queryUncompletedBizExclude(
    criteria: UncompletedCriteria,
    page: PageRequest = {},
  ): Promise<Page<LogicInstanceEntity>> {
    return this.page(uncompletedConditions(criteria), 'createTime', page);
  }

  async deleteCompletedBizInstanceByLogicId(logicId: string): Promise<number> {
    return deleteInBatches(this.instances, [
      { sql: 'logicId = :logicId', params: { logicId } },
      { sql: 'isOver = :over', params: { over: 1 } },
    ]);
  }

  async deleteCompletedBizInstance(): Promise<number> {
    return deleteInBatches(this.instances, [{ sql: 'isOver = :over', params: { over: 1 } }]);
  }

  /**
   * By createTime range (used only when both bounds are given) and/or by ids; with both,
   * a row must match both. Refuses when neither is given, so it can never mean "delete all".
   */
  async deleteBiz(criteria: DeleteBizCriteria): Promise<number> {
    const hasRange = criteria.from !== undefined && criteria.to !== undefined;
    const hasIds = (criteria.ids?.length ?? 0) > 0;
    if (!hasRange && !hasIds) {
      throw new DomainError(
        InstanceErrorCode.DeleteCriterionMissing,
        ErrorKind.InvalidInput,
        'Give both from and to, or ids: deleting without a criterion is refused',
        { details: [{ field: 'from', problems: ['from and to, or ids, are required'] }] },
      );
    }
    const range: Condition[] = hasRange
      ? [{ sql: 'createTime >= :from AND createTime <= :to', params: { from: criteria.from, to: criteria.to } }]
      : [];
    return hasIds ? deleteIdsInBatches(this.instances, criteria.ids!, range) : deleteInBatches(this.instances, range);
  }

  /** Sets the next step on every row of the pair and marks it not over; returns the rows changed. */
  async updateInstanceNextId(logicId: string, bizId: string, next: NextStep): Promise<number> {
    const result = await this.instances
      .createQueryBuilder()
      .update()
      .set({
        nextId: next.nextId ?? null,
        nextName: next.nextName ?? null,
        varsJsonEnd: next.varsJsonEnd ?? null,
        isOver: false,
        serverTime: this.clock.now(),
      })
      .where('logicId = :logicId AND bizId = :bizId', { logicId, bizId })
      .execute();
    return result.affected ?? 0;
  }

  private async page(
    conditions: Condition[],
    orderColumn: 'createTime' | 'startTime',
    request: PageRequest,
  ): Promise<Page<LogicInstanceEntity>> {
    const limit = pageSize(request.limit);
    const keyset = request.cursor ? [afterPosition(orderColumn, decodeCursor(request.cursor))] : [];
    const rows = await applyConditions(this.instances.createQueryBuilder('i'), [...conditions, ...keyset])
      .orderBy(`i.${orderColumn}`, 'ASC')
      .addOrderBy('i.id', 'ASC')
      .limit(limit + 1)
      .getMany();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const nextCursor =
      rows.length > limit && last?.[orderColumn] ? encodeCursor({ time: last[orderColumn], id: last.id }) : null;
    return { items, nextCursor };
  }
}
