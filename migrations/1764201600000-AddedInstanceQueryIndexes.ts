import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { isSqlite, runAll } from './support/dialect';

/**
 * logic-ha's own indexes on logic_instance, so that every instance query and job uses an
 * index at 1M rows:
 * - uncompleted: (isOver, createTime) gives the page order; the trailing filter columns
 *   let InnoDB check isRunning/success/retryTimes/logicId inside the index (index
 *   condition pushdown) and fetch only the rows that match;
 * - long-running: (isRunning, startTime);
 * - deletes by creation range: (createTime).
 */
export class AddedInstanceQueryIndexes1764201600000 implements MigrationInterface {
  readonly schemaVersion = 'ha-1';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = isSqlite(queryRunner) ? '"' : '`';
    await runAll(
      queryRunner,
      INDEXES.map(
        ([name, columns]) =>
          `CREATE INDEX ${q}${name}${q} ON ${q}logic_instance${q} (${columns.map((c) => `${q}${c}${q}`).join(', ')})`,
      ),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await runAll(
      queryRunner,
      INDEXES.map(([name]) =>
        isSqlite(queryRunner) ? `DROP INDEX "${name}"` : `DROP INDEX \`${name}\` ON \`logic_instance\``,
      ),
    );
  }
}

export const INDEXES: [string, string[]][] = [
  ['idx_instance_uncompleted', ['isOver', 'createTime', 'isRunning', 'success', 'retryTimes', 'logicId']],
  ['idx_instance_isRunning_startTime', ['isRunning', 'startTime']],
  ['idx_instance_createTime', ['createTime']],
];
