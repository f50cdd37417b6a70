import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { SQLITE_NOW_MS, isSqlite, runAll, sqliteOnUpdateTrigger } from './support/dialect';

/** logic-solution 0.6.2: the five tables as that release created them. */
export class CreatedBaselineSchema1590969600000 implements MigrationInterface {
  readonly schemaVersion = '0.6.2';

  async up(queryRunner: QueryRunner): Promise<void> {
    await runAll(queryRunner, isSqlite(queryRunner) ? SQLITE_UP : MYSQL_UP);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const tables = ['logic_log', 'logic_instance', 'logic_published', 'logic_bak', 'logic'];
    // Dropping a SQLite table drops its indexes and triggers with it.
    await runAll(
      queryRunner,
      tables.map((table) => `DROP TABLE ${isSqlite(queryRunner) ? `"${table}"` : `\`${table}\``}`),
    );
  }
}

const MYSQL_TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';
const MYSQL_CONFIG_COLUMNS = `
  \`name\` varchar(50) DEFAULT NULL,
  \`version\` varchar(50) DEFAULT NULL,
  \`module\` varchar(50) DEFAULT NULL,
  \`configJson\` longtext DEFAULT NULL,
  \`updateTime\` datetime DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP`;

const MYSQL_UP = [
  `CREATE TABLE \`logic\` (
    \`id\` varchar(36) NOT NULL,${MYSQL_CONFIG_COLUMNS},
    PRIMARY KEY (\`id\`)
  ) ${MYSQL_TABLE_OPTIONS}`,
  `CREATE TABLE \`logic_bak\` (
    \`aid\` varchar(36) NOT NULL,
    \`id\` varchar(36) DEFAULT NULL,${MYSQL_CONFIG_COLUMNS},
    PRIMARY KEY (\`aid\`)
  ) ${MYSQL_TABLE_OPTIONS}`,
  `CREATE TABLE \`logic_published\` (
    \`id\` bigint NOT NULL AUTO_INCREMENT,
    \`logicId\` varchar(36) DEFAULT NULL,
    \`name\` varchar(50) DEFAULT NULL,
    \`version\` varchar(50) DEFAULT NULL,
    \`module\` varchar(50) DEFAULT NULL,
    \`configJson\` longtext DEFAULT NULL,
    \`publishTime\` datetime DEFAULT CURRENT_TIMESTAMP,
    \`source\` varchar(100) DEFAULT NULL,
    \`target\` varchar(100) DEFAULT NULL,
    PRIMARY KEY (\`id\`)
  ) ${MYSQL_TABLE_OPTIONS}`,
  `CREATE TABLE \`logic_instance\` (
    \`id\` varchar(36) NOT NULL,
    \`logicId\` varchar(36) DEFAULT NULL,
    \`version\` varchar(50) DEFAULT NULL,
    \`bizId\` varchar(36) DEFAULT NULL,
    \`parentLogicId\` varchar(36) DEFAULT NULL,
    \`parentBizId\` varchar(36) DEFAULT NULL,
    \`env\` varchar(10) DEFAULT NULL,
    \`nextId\` varchar(36) DEFAULT NULL,
    \`nextName\` varchar(255) DEFAULT NULL,
    \`paramsJson\` text DEFAULT NULL,
    \`varsJson\` text DEFAULT NULL,
    \`envsJson\` text DEFAULT NULL,
    \`varsJsonEnd\` text DEFAULT NULL,
    \`returnData\` longtext DEFAULT NULL,
    \`message\` varchar(255) DEFAULT NULL,
    \`messageId\` varchar(255) DEFAULT NULL,
    \`success\` tinyint DEFAULT NULL,
    \`isOver\` tinyint DEFAULT 0,
    \`isRunning\` tinyint DEFAULT 0,
    \`serverTime\` datetime DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP,
    \`startTime\` datetime(3) DEFAULT CURRENT_TIMESTAMP(3),
    \`stopTime\` datetime(3) DEFAULT NULL,
    \`duration\` bigint DEFAULT NULL,
    PRIMARY KEY (\`id\`),
    KEY \`idx_logicId_bizId\` (\`logicId\`, \`bizId\`)
  ) ${MYSQL_TABLE_OPTIONS}`,
  `CREATE TABLE \`logic_log\` (
    \`id\` varchar(36) NOT NULL,
    \`version\` varchar(50) NOT NULL,
    \`logicId\` varchar(36) DEFAULT NULL,
    \`bizId\` varchar(36) DEFAULT NULL,
    \`nextId\` varchar(36) DEFAULT NULL,
    \`clientId\` varchar(50) DEFAULT NULL,
    \`host\` varchar(50) DEFAULT NULL,
    \`nextName\` varchar(50) DEFAULT NULL,
    \`env\` varchar(10) DEFAULT NULL,
    \`message\` varchar(255) DEFAULT NULL,
    \`messageId\` varchar(255) DEFAULT NULL,
    \`paramsJson\` text DEFAULT NULL,
    \`varsJson\` text DEFAULT NULL,
    \`varsJsonEnd\` text DEFAULT NULL,
    \`returnData\` text DEFAULT NULL,
    \`itemLogs\` longtext DEFAULT NULL,
    \`success\` tinyint DEFAULT NULL,
    \`isOver\` tinyint DEFAULT 0,
    \`serverTime\` datetime(3) DEFAULT NULL,
    PRIMARY KEY (\`id\`, \`version\`),
    KEY \`idx_logic_log_logicId_bizId\` (\`logicId\`, \`bizId\`)
  ) ${MYSQL_TABLE_OPTIONS}`,
];

const SQLITE_CONFIG_COLUMNS = `"name" varchar(50), "version" varchar(50), "module" varchar(50), "configJson" longtext,
  "updateTime" datetime DEFAULT CURRENT_TIMESTAMP`;

/** The logic_instance columns of 0.6.2, shared with the 0.7.4 rebuild's source list. */
export const BASELINE_INSTANCE_COLUMNS = [
  'id',
  'logicId',
  'version',
  'bizId',
  'parentLogicId',
  'parentBizId',
  'env',
  'nextId',
  'nextName',
  'paramsJson',
  'varsJson',
  'envsJson',
  'varsJsonEnd',
  'returnData',
  'message',
  'messageId',
  'success',
  'isOver',
  'isRunning',
  'serverTime',
  'startTime',
  'stopTime',
  'duration',
];

const SQLITE_UP = [
  `CREATE TABLE "logic" ("id" varchar(36) NOT NULL PRIMARY KEY, ${SQLITE_CONFIG_COLUMNS})`,
  sqliteOnUpdateTrigger('logic', 'updateTime', 'id'),
  `CREATE TABLE "logic_bak" ("aid" varchar(36) NOT NULL PRIMARY KEY, "id" varchar(36), ${SQLITE_CONFIG_COLUMNS})`,
  sqliteOnUpdateTrigger('logic_bak', 'updateTime', 'aid'),
  `CREATE TABLE "logic_published" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "logicId" varchar(36), "name" varchar(50), "version" varchar(50),
    "module" varchar(50), "configJson" longtext, "publishTime" datetime DEFAULT CURRENT_TIMESTAMP,
    "source" varchar(100), "target" varchar(100))`,
  `CREATE TABLE "logic_instance" (
    "id" varchar(36) NOT NULL PRIMARY KEY, "logicId" varchar(36), "version" varchar(50), "bizId" varchar(36),
    "parentLogicId" varchar(36), "parentBizId" varchar(36), "env" varchar(10), "nextId" varchar(36),
    "nextName" varchar(255), "paramsJson" text, "varsJson" text, "envsJson" text, "varsJsonEnd" text,
    "returnData" longtext, "message" varchar(255), "messageId" varchar(255), "success" tinyint,
    "isOver" tinyint DEFAULT 0, "isRunning" tinyint DEFAULT 0, "serverTime" datetime,
    "startTime" datetime(3) DEFAULT ${SQLITE_NOW_MS}, "stopTime" datetime(3), "duration" bigint)`,
  `CREATE INDEX "idx_logicId_bizId" ON "logic_instance" ("logicId", "bizId")`,
  sqliteOnUpdateTrigger('logic_instance', 'serverTime', 'id'),
  `CREATE TABLE "logic_log" (
    "id" varchar(36) NOT NULL, "version" varchar(50) NOT NULL, "logicId" varchar(36), "bizId" varchar(36),
    "nextId" varchar(36), "clientId" varchar(50), "host" varchar(50), "nextName" varchar(50), "env" varchar(10),
    "message" varchar(255), "messageId" varchar(255), "paramsJson" text, "varsJson" text, "varsJsonEnd" text,
    "returnData" text, "itemLogs" longtext, "success" tinyint, "isOver" tinyint DEFAULT 0, "serverTime" datetime(3),
    PRIMARY KEY ("id", "version"))`,
  `CREATE INDEX "idx_logic_log_logicId_bizId" ON "logic_log" ("logicId", "bizId")`,
];
