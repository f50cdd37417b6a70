import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { BASELINE_INSTANCE_COLUMNS } from './1590969600000-CreatedBaselineSchema';
import { SQLITE_NOW_MS, isSqlite, rebuildSqliteTable, runAll, sqliteOnUpdateTrigger } from './support/dialect';

/**
 * logic-solution 0.7.4: logic_instance.createTime (after isRunning) and retryTimes (after
 * duration). Rows that exist before the upgrade get the upgrade time and 0, as MySQL fills them.
 */
export class AddedInstanceCreateTimeAndRetryTimes1600000000000 implements MigrationInterface {
  readonly schemaVersion = '0.7.4';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner)) {
      await rebuildSqliteTable(queryRunner, 'logic_instance', SQLITE_INSTANCE_074, BASELINE_INSTANCE_COLUMNS, [
        `CREATE INDEX "idx_logicId_bizId" ON "logic_instance" ("logicId", "bizId")`,
        sqliteOnUpdateTrigger('logic_instance', 'serverTime', 'id'),
      ]);
      return;
    }
    await queryRunner.query(
      'ALTER TABLE `logic_instance` ' +
        'ADD COLUMN `createTime` datetime NULL DEFAULT CURRENT_TIMESTAMP AFTER `isRunning`, ' +
        'ADD COLUMN `retryTimes` int NULL DEFAULT 0 AFTER `duration`',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner)) {
      await runAll(queryRunner, [
        'ALTER TABLE "logic_instance" DROP COLUMN "retryTimes"',
        'ALTER TABLE "logic_instance" DROP COLUMN "createTime"',
      ]);
      return;
    }
    await queryRunner.query('ALTER TABLE `logic_instance` DROP COLUMN `retryTimes`, DROP COLUMN `createTime`');
  }
}

const SQLITE_INSTANCE_074 = `
  "id" varchar(36) NOT NULL PRIMARY KEY, "logicId" varchar(36), "version" varchar(50), "bizId" varchar(36),
  "parentLogicId" varchar(36), "parentBizId" varchar(36), "env" varchar(10), "nextId" varchar(36),
  "nextName" varchar(255), "paramsJson" text, "varsJson" text, "envsJson" text, "varsJsonEnd" text,
  "returnData" longtext, "message" varchar(255), "messageId" varchar(255), "success" tinyint,
  "isOver" tinyint DEFAULT 0, "isRunning" tinyint DEFAULT 0, "createTime" datetime DEFAULT CURRENT_TIMESTAMP,
  "serverTime" datetime, "startTime" datetime(3) DEFAULT ${SQLITE_NOW_MS}, "stopTime" datetime(3),
  "duration" bigint, "retryTimes" int DEFAULT 0`;
