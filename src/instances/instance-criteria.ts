import type { ObjectLiteral, SelectQueryBuilder, WhereExpressionBuilder } from 'typeorm';
import type { LogicInstanceEntity } from './entities/logic-instance.entity';

/**
 * queryUncompletedBizExclude's arguments. Every filter applies only when given
 * (undefined = not given); `from`/`to` bound createTime inclusively.
 */
export interface UncompletedCriteria {
  from?: Date;
  to?: Date;
  isRunning?: boolean;
  isSuccess?: boolean;
  maxRetryTimes?: number;
  excludeLogicIds?: string[];
}

export interface DeleteBizCriteria {
  from?: Date;
  to?: Date;
  ids?: string[];
}

/**
 * One WHERE condition with its bound parameters. Columns are written unqualified so the
 * same condition serves SELECT, UPDATE and DELETE statements on both engines.
 */
export interface Condition {
  sql: string;
  params?: ObjectLiteral;
}

/** tinyint flags are compared as numbers: 1 / 0. */
export const flag = (value: boolean) => (value ? 1 : 0);

export function applyConditions<T extends WhereExpressionBuilder>(query: T, conditions: Condition[]): T {
  conditions.forEach((condition, index) =>
    index === 0 ? query.where(condition.sql, condition.params) : query.andWhere(condition.sql, condition.params),
  );
  return query;
}

/** `isOver = false` plus every given filter. */
export function uncompletedConditions(criteria: UncompletedCriteria): Condition[] {
  const conditions: Condition[] = [{ sql: 'isOver = :notOver', params: { notOver: 0 } }];
  if (criteria.from) conditions.push({ sql: 'createTime >= :from', params: { from: criteria.from } });
  if (criteria.to) conditions.push({ sql: 'createTime <= :to', params: { to: criteria.to } });
  // Pages are ordered by createTime; a row without one could never be paged to.
  if (!criteria.from && !criteria.to) conditions.push({ sql: 'createTime IS NOT NULL' });
  if (criteria.isRunning !== undefined) {
    conditions.push({ sql: 'isRunning = :isRunning', params: { isRunning: flag(criteria.isRunning) } });
  }
  if (criteria.isSuccess !== undefined) {
    conditions.push({ sql: 'success = :isSuccess', params: { isSuccess: flag(criteria.isSuccess) } });
  }
  if (criteria.maxRetryTimes !== undefined) {
    conditions.push({ sql: 'retryTimes <= :maxRetryTimes', params: { maxRetryTimes: criteria.maxRetryTimes } });
  }
  if (criteria.excludeLogicIds?.length) {
    conditions.push({ sql: 'logicId NOT IN (:...excluded)', params: { excluded: criteria.excludeLogicIds } });
  }
  return conditions;
}

/** Running, and started strictly before the cut-off. */
export function longRunningConditions(startedBefore: Date): Condition[] {
  return [
    { sql: 'isRunning = :running', params: { running: 1 } },
    { sql: 'startTime < :startedBefore', params: { startedBefore } },
  ];
}

/** Rows strictly after a keyset position in (column, id) order. */
export function afterPosition(column: 'createTime' | 'startTime', position: { time: Date; id: string }): Condition {
  return {
    sql: `(${column} > :afterTime OR (${column} = :afterTime AND id > :afterId))`,
    params: { afterTime: position.time, afterId: position.id },
  };
}

/** getInstance's order: the newest row of the pair by serverTime (ties: later start, then id). */
export function newestOfPair(
  query: SelectQueryBuilder<LogicInstanceEntity>,
  logicId: string,
  bizId: string,
): SelectQueryBuilder<LogicInstanceEntity> {
  return query
    .where('i.logicId = :logicId AND i.bizId = :bizId', { logicId, bizId })
    .orderBy('i.serverTime', 'DESC')
    .addOrderBy('i.startTime', 'DESC')
    .addOrderBy('i.id', 'DESC')
    .limit(1);
}
