import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { isSqlite, runAll } from './support/dialect';

/**
 * ha-4: the defaults and the index name logic-solution's own install scripts create, which
 * logic-ha's migrations before this one left out:
 * - logic_instance.serverTime DEFAULT CURRENT_TIMESTAMP (it already had ON UPDATE);
 * - logic_log.serverTime DEFAULT CURRENT_TIMESTAMP(3);
 * - logic_published.publishTime ON UPDATE CURRENT_TIMESTAMP;
 * - MariaDB/MySQL: logic_log's (logicId, bizId) index named `logicId_bizId`, as the scripts
 *   name it (SQLite keeps logic-ha's name: index names are global there).
 * So a runtime that inserts a row without serverTime gets the time, as with logic-solution.
 *
 * Each change runs only where it is still needed: a database adopted from logic-solution
 * has them all, and this migration is a no-op on it. The inspection asks which changes
 * are already in place, so the planner's recorder (which answers every query with no rows)
 * plans, shows and checksums every statement: exactly what an earlier logic-ha database runs.
 *
 * down() changes nothing: these are logic-solution's own defaults at every version, and
 * removing them on a rollback would leave a database logic-solution would not recognise.
 */
export class AlignedLogicSolutionDefaults1764460800000 implements MigrationInterface {
  readonly schemaVersion = 'ha-4';

  async up(queryRunner: QueryRunner): Promise<void> {
    const alignments = isSqlite(queryRunner) ? SQLITE_ALIGNMENTS : MYSQL_ALIGNMENTS;
    const rows = (await queryRunner.query(isSqlite(queryRunner) ? SQLITE_ALIGNED : MYSQL_ALIGNED)) as {
      aligned: string;
    }[];
    const done = new Set(rows.map((row) => row.aligned));
    for (const alignment of alignments.filter((a) => !done.has(a.key))) await runAll(queryRunner, alignment.statements);
  }

  async down(_queryRunner: QueryRunner): Promise<void> {
    // Deliberately nothing: see the class comment.
  }
}

interface Alignment {
  /** `table.column` (or `table.index`), as the inspection query reports it once in place. */
  key: string;
  statements: string[];
}

/**
 * Which changes already hold (all of them on a database logic-solution's scripts built).
 * Each reads as "not yet" where its table does not exist, so `db plan` on an empty
 * database, whose logic_log the first migration will create, shows every statement.
 */
const MYSQL_ALIGNED = `
  SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME) AS aligned FROM information_schema.COLUMNS
   WHERE TABLE_SCHEMA = DATABASE() AND (
         (TABLE_NAME = 'logic_instance' AND COLUMN_NAME = 'serverTime' AND LOWER(COLUMN_DEFAULT) IN ('current_timestamp()', 'current_timestamp'))
      OR (TABLE_NAME = 'logic_log' AND COLUMN_NAME = 'serverTime' AND LOWER(COLUMN_DEFAULT) = 'current_timestamp(3)')
      OR (TABLE_NAME = 'logic_published' AND COLUMN_NAME = 'publishTime' AND LOWER(EXTRA) LIKE '%on update current_timestamp%'))
  UNION ALL
  SELECT 'logic_log.logicId_bizId' FROM information_schema.TABLES
   WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'logic_log' AND NOT EXISTS (
         SELECT 1 FROM information_schema.STATISTICS
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'logic_log' AND INDEX_NAME = 'idx_logic_log_logicId_bizId')`;

/**
 * Each is a metadata-only change on MariaDB 10.11 (ALGORITHM=INSTANT): no table is copied.
 * MODIFY rather than `ALTER COLUMN … SET DEFAULT`, whose MySQL 8 grammar takes no
 * CURRENT_TIMESTAMP. The index is renamed only while it has logic-ha's old name: under
 * logic-solution's name, or any other an adopted database gave it, it stays as it is.
 */
const MYSQL_ALIGNMENTS: Alignment[] = [
  {
    key: 'logic_instance.serverTime',
    statements: [
      'ALTER TABLE `logic_instance` MODIFY COLUMN `serverTime` datetime NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP',
    ],
  },
  {
    key: 'logic_log.serverTime',
    statements: ['ALTER TABLE `logic_log` MODIFY COLUMN `serverTime` datetime(3) NULL DEFAULT CURRENT_TIMESTAMP(3)'],
  },
  {
    key: 'logic_log.logicId_bizId',
    statements: ['ALTER TABLE `logic_log` RENAME INDEX `idx_logic_log_logicId_bizId` TO `logicId_bizId`'],
  },
  {
    key: 'logic_published.publishTime',
    statements: [
      'ALTER TABLE `logic_published` MODIFY COLUMN `publishTime` datetime NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP',
    ],
  },
];

const SQLITE_ALIGNED = `
  SELECT 'logic_instance.serverTime' AS aligned FROM pragma_table_info('logic_instance') WHERE name = 'serverTime' AND dflt_value IS NOT NULL
  UNION ALL
  SELECT 'logic_log.serverTime' FROM pragma_table_info('logic_log') WHERE name = 'serverTime' AND dflt_value IS NOT NULL
  UNION ALL
  SELECT 'logic_published.publishTime' FROM sqlite_master
   WHERE type = 'trigger' AND tbl_name = 'logic_published' AND sql LIKE '%AFTER UPDATE%SET "publishTime" = CURRENT_TIMESTAMP%'`;

const NOW_MS = `(strftime('%Y-%m-%d %H:%M:%f','now'))`;

/** SQLite's ON UPDATE CURRENT_TIMESTAMP (the same trigger the earlier migrations create). */
function onUpdateTrigger(table: string, column: string, key: string): string {
  return (
    `CREATE TRIGGER "${table}_${column}_on_update" AFTER UPDATE ON "${table}" FOR EACH ROW ` +
    `WHEN NEW."${column}" IS OLD."${column}" ` +
    `BEGIN UPDATE "${table}" SET "${column}" = CURRENT_TIMESTAMP WHERE "${key}" = NEW."${key}"; END`
  );
}

/**
 * SQLite cannot change a column's default in place: the table is rebuilt with the ha-3
 * definition plus the default, its rows copied, and its indexes and triggers recreated.
 * Spelled out here rather than shared with earlier migrations, so that no later edit
 * elsewhere changes this migration's checksum.
 */
function rebuild(table: string, definition: string, columns: string[], recreate: string[]): string[] {
  const list = columns.map((c) => `"${c}"`).join(', ');
  return [
    `CREATE TABLE "${table}__rebuild" (${definition})`,
    `INSERT INTO "${table}__rebuild" (${list}) SELECT ${list} FROM "${table}"`,
    `DROP TABLE "${table}"`,
    `ALTER TABLE "${table}__rebuild" RENAME TO "${table}"`,
    ...recreate,
  ];
}

const INSTANCE_COLUMNS = [
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
  'createTime',
  'serverTime',
  'startTime',
  'stopTime',
  'duration',
  'retryTimes',
  'isAsync',
];

const INSTANCE_DEFINITION = `
  "id" varchar(36) NOT NULL PRIMARY KEY, "logicId" varchar(36), "version" varchar(50), "bizId" varchar(36),
  "parentLogicId" varchar(36), "parentBizId" varchar(36), "env" varchar(10), "nextId" varchar(36),
  "nextName" varchar(255), "paramsJson" text, "varsJson" text, "envsJson" text, "varsJsonEnd" text,
  "returnData" longtext, "message" varchar(255), "messageId" varchar(255), "success" tinyint,
  "isOver" tinyint DEFAULT 0, "isRunning" tinyint DEFAULT 0, "createTime" datetime DEFAULT CURRENT_TIMESTAMP,
  "serverTime" datetime DEFAULT CURRENT_TIMESTAMP, "startTime" datetime(3) DEFAULT ${NOW_MS}, "stopTime" datetime(3),
  "duration" bigint, "retryTimes" int DEFAULT 0, "isAsync" tinyint DEFAULT 0`;

const INSTANCE_INDEXES = [
  `CREATE INDEX "idx_logicId_bizId" ON "logic_instance" ("logicId", "bizId")`,
  `CREATE INDEX "idx_bizId_parBizId_serverTime" ON "logic_instance" ("bizId" DESC, "parentBizId" DESC, "serverTime" DESC)`,
  `CREATE INDEX "idx_instance_uncompleted" ON "logic_instance" ("isOver", "createTime", "isRunning", "success", "retryTimes", "logicId")`,
  `CREATE INDEX "idx_instance_isRunning_startTime" ON "logic_instance" ("isRunning", "startTime")`,
  `CREATE INDEX "idx_instance_createTime" ON "logic_instance" ("createTime")`,
];

const LOG_COLUMNS = [
  'id',
  'version',
  'logicId',
  'bizId',
  'nextId',
  'clientId',
  'host',
  'nextName',
  'env',
  'message',
  'messageId',
  'paramsJson',
  'varsJson',
  'varsJsonEnd',
  'returnData',
  'itemLogs',
  'success',
  'isOver',
  'serverTime',
];

const LOG_DEFINITION = `
  "id" varchar(36) NOT NULL, "version" varchar(50) NOT NULL, "logicId" varchar(36), "bizId" varchar(36),
  "nextId" varchar(36), "clientId" varchar(50), "host" varchar(50), "nextName" varchar(50), "env" varchar(10),
  "message" varchar(255), "messageId" varchar(255), "paramsJson" text, "varsJson" text, "varsJsonEnd" text,
  "returnData" text, "itemLogs" longtext, "success" tinyint, "isOver" tinyint DEFAULT 0,
  "serverTime" datetime(3) DEFAULT ${NOW_MS}, PRIMARY KEY ("id", "version")`;

const SQLITE_ALIGNMENTS: Alignment[] = [
  {
    key: 'logic_instance.serverTime',
    statements: rebuild('logic_instance', INSTANCE_DEFINITION, INSTANCE_COLUMNS, [
      ...INSTANCE_INDEXES,
      onUpdateTrigger('logic_instance', 'serverTime', 'id'),
    ]),
  },
  {
    key: 'logic_log.serverTime',
    statements: rebuild('logic_log', LOG_DEFINITION, LOG_COLUMNS, [
      `CREATE INDEX "idx_logic_log_logicId_bizId" ON "logic_log" ("logicId", "bizId")`,
    ]),
  },
  { key: 'logic_published.publishTime', statements: [onUpdateTrigger('logic_published', 'publishTime', 'id')] },
];
