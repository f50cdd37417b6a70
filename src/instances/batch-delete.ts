import type { Repository } from 'typeorm';
import type { LogicInstanceEntity } from './entities/logic-instance.entity';
import { type Condition, applyConditions } from './instance-criteria';

/**
 * No statement touches more rows than this, so no delete holds locks for long. Kept
 * under MariaDB's in_predicate_conversion_threshold (1000): a longer IN list becomes a
 * derived table, and a DELETE joined to it scans the whole table.
 */
export const DELETE_BATCH_SIZE = 500;

/**
 * Deletes every row the conditions match, at most DELETE_BATCH_SIZE per statement: pick
 * a batch of ids, delete those ids that still match (a row changed in between is left
 * alone), repeat until a short batch. Portable: SQLite has no DELETE ... LIMIT.
 */
export async function deleteInBatches(
  repository: Repository<LogicInstanceEntity>,
  conditions: Condition[],
): Promise<number> {
  let deleted = 0;
  for (;;) {
    // No ORDER BY: any matching batch will do, and ordering would make MariaDB walk the primary key.
    const batch = await applyConditions(repository.createQueryBuilder().select('id', 'id'), conditions)
      .limit(DELETE_BATCH_SIZE)
      .getRawMany<{ id: string }>();
    if (batch.length === 0) return deleted;
    const byId: Condition = { sql: 'id IN (:...batchIds)', params: { batchIds: batch.map((row) => row.id) } };
    const result = await applyConditions(repository.createQueryBuilder().delete(), [...conditions, byId]).execute();
    deleted += result.affected ?? 0;
    if (batch.length < DELETE_BATCH_SIZE) return deleted;
  }
}

/** Deletes the given ids in statements of at most DELETE_BATCH_SIZE ids. */
export async function deleteIdsInBatches(
  repository: Repository<LogicInstanceEntity>,
  ids: string[],
  conditions: Condition[] = [],
): Promise<number> {
  let deleted = 0;
  for (let start = 0; start < ids.length; start += DELETE_BATCH_SIZE) {
    const byId: Condition = {
      sql: 'id IN (:...batchIds)',
      params: { batchIds: ids.slice(start, start + DELETE_BATCH_SIZE) },
    };
    const result = await applyConditions(repository.createQueryBuilder().delete(), [...conditions, byId]).execute();
    deleted += result.affected ?? 0;
  }
  return deleted;
}
