import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { isSqlite, runAll } from './support/dialect';

/** logic-solution 0.7.7: logic_instance.isAsync and the (id, version) index on logic_bak. */
export class AddedInstanceIsAsyncAndLogicBakVersionIndex1610000000000 implements MigrationInterface {
  readonly schemaVersion = '0.7.7';

  async up(queryRunner: QueryRunner): Promise<void> {
    await runAll(
      queryRunner,
      isSqlite(queryRunner)
        ? [
            'ALTER TABLE "logic_instance" ADD COLUMN "isAsync" tinyint DEFAULT 0',
            'CREATE INDEX "logicid_version_idx" ON "logic_bak" ("id", "version")',
          ]
        : [
            'ALTER TABLE `logic_instance` ADD COLUMN `isAsync` tinyint NULL DEFAULT 0',
            'CREATE INDEX `logicid_version_idx` ON `logic_bak` (`id`, `version`)',
          ],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await runAll(
      queryRunner,
      isSqlite(queryRunner)
        ? ['DROP INDEX "logicid_version_idx"', 'ALTER TABLE "logic_instance" DROP COLUMN "isAsync"']
        : ['DROP INDEX `logicid_version_idx` ON `logic_bak`', 'ALTER TABLE `logic_instance` DROP COLUMN `isAsync`'],
    );
  }
}
