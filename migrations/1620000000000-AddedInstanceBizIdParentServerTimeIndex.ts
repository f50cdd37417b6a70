import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { isSqlite } from './support/dialect';

/** logic-solution 0.8: a descending index for "newest instance of a business id" lookups. */
export class AddedInstanceBizIdParentServerTimeIndex1620000000000 implements MigrationInterface {
  readonly schemaVersion = '0.8';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = isSqlite(queryRunner) ? '"' : '`';
    await queryRunner.query(
      `CREATE INDEX ${q}idx_bizId_parBizId_serverTime${q} ON ${q}logic_instance${q} ` +
        `(${q}bizId${q} DESC, ${q}parentBizId${q} DESC, ${q}serverTime${q} DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      isSqlite(queryRunner)
        ? 'DROP INDEX "idx_bizId_parBizId_serverTime"'
        : 'DROP INDEX `idx_bizId_parBizId_serverTime` ON `logic_instance`',
    );
  }
}
