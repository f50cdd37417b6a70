import type { DataSource } from 'typeorm';
import { NAVICAT_MERGE_SCRIPTS, navicatInstallScript, statementsOf } from './logic-solution-navicat';

/**
 * Databases as logic-solution itself builds them: one of its published install scripts
 * run on an empty database (no TypeORM, no migrations table), possibly followed by its
 * merge scripts, then rows as its runtimes write them. Written independently of
 * logic-ha's migrations, so an adoption test compares two authors' renderings of the
 * same schema.
 *
 * MySQL: the Navicat exports of logic-solution-navicat.ts. SQLite: logic-solution ships
 * none; this is the faithful mapping, with the same declared types and defaults, `now(3)`
 * as strftime with milliseconds, AUTO_INCREMENT as `integer PRIMARY KEY AUTOINCREMENT`,
 * and ON UPDATE CURRENT_TIMESTAMP as an AFTER UPDATE trigger (named in its own style,
 * not logic-ha's).
 */
export type LogicSolutionVersion = '0.6.2' | '0.7.4' | '0.7.7' | '0.8';
export const LOGIC_SOLUTION_VERSIONS: LogicSolutionVersion[] = ['0.6.2', '0.7.4', '0.7.7', '0.8'];

export type LogicSolutionEngine = 'mysql' | 'sqlite';

/** One way a field database got to `version`: a full script, or 0.6.2's followed by the merge scripts. */
export interface LogicSolutionBuild {
  name: string;
  version: LogicSolutionVersion;
  merged: boolean;
}

const FULL_BUILDS: LogicSolutionBuild[] = LOGIC_SOLUTION_VERSIONS.map((version) => ({
  name: `full ${version} script`,
  version,
  merged: false,
}));
const MERGED_BUILD: LogicSolutionBuild = {
  name: '0.6.2 script + merge scripts to 0.7.7',
  version: '0.7.7',
  merged: true,
};

/** The build of `version`'s full install script. */
export function fullScriptBuild(version: LogicSolutionVersion): LogicSolutionBuild {
  return FULL_BUILDS.find((build) => build.version === version)!;
}

/** Every build logic-solution publishes for the engine: merge scripts exist for MySQL only. */
export function logicSolutionBuilds(engine: LogicSolutionEngine): LogicSolutionBuild[] {
  return engine === 'mysql' ? [...FULL_BUILDS, MERGED_BUILD] : FULL_BUILDS;
}

function atLeast(version: LogicSolutionVersion, minimum: LogicSolutionVersion): boolean {
  return LOGIC_SOLUTION_VERSIONS.indexOf(version) >= LOGIC_SOLUTION_VERSIONS.indexOf(minimum);
}

// ---------------------------------------------------------------------------------------
// Install scripts
// ---------------------------------------------------------------------------------------

function mysqlStatements(build: LogicSolutionBuild): string[] {
  if (!build.merged) return statementsOf(navicatInstallScript(build.version));
  return [navicatInstallScript('0.6.2'), NAVICAT_MERGE_SCRIPTS['0.7.4'], NAVICAT_MERGE_SCRIPTS['0.7.7']].flatMap(
    statementsOf,
  );
}

/** MySQL's `now(3)` on SQLite: UTC with milliseconds. */
const SQLITE_NOW_3 = `(strftime('%Y-%m-%d %H:%M:%f','now'))`;

/** ON UPDATE CURRENT_TIMESTAMP on SQLite: refresh the column unless the UPDATE set it itself. */
function sqliteTouchTrigger(table: string, column: string, key: string): string {
  return (
    `CREATE TRIGGER "trg_${table}_${column}" AFTER UPDATE ON "${table}" FOR EACH ROW\n` +
    `WHEN NEW."${column}" IS OLD."${column}"\n` +
    `BEGIN\n  UPDATE "${table}" SET "${column}" = CURRENT_TIMESTAMP WHERE "${key}" = NEW."${key}";\nEND`
  );
}

function sqliteScript(version: LogicSolutionVersion): string[] {
  const configColumns = [
    '  "name" varchar(50),',
    '  "version" varchar(50),',
    '  "module" varchar(50),',
    '  "configJson" longtext,',
    '  "updateTime" datetime DEFAULT CURRENT_TIMESTAMP',
  ];
  const instanceColumns = [
    '  "id" varchar(36) NOT NULL PRIMARY KEY,',
    '  "logicId" varchar(36),',
    '  "version" varchar(50),',
    '  "bizId" varchar(36),',
    '  "parentLogicId" varchar(36),',
    '  "parentBizId" varchar(36),',
    '  "env" varchar(10),',
    '  "nextId" varchar(36),',
    '  "nextName" varchar(255),',
    '  "paramsJson" text,',
    '  "varsJson" text,',
    '  "envsJson" text,',
    '  "varsJsonEnd" text,',
    '  "returnData" longtext,',
    '  "message" varchar(255),',
    '  "messageId" varchar(255),',
    '  "success" tinyint,',
    '  "isOver" tinyint DEFAULT 0,',
    '  "isRunning" tinyint DEFAULT 0,',
    ...(atLeast(version, '0.7.4') ? ['  "createTime" datetime DEFAULT CURRENT_TIMESTAMP,'] : []),
    '  "serverTime" datetime DEFAULT CURRENT_TIMESTAMP,',
    `  "startTime" datetime(3) DEFAULT ${SQLITE_NOW_3},`,
    '  "stopTime" datetime(3),',
    '  "duration" bigint,',
    ...(atLeast(version, '0.7.4') ? ['  "retryTimes" int DEFAULT 0,'] : []),
    ...(atLeast(version, '0.7.7') ? ['  "isAsync" tinyint DEFAULT 0,'] : []),
  ];
  // The last column definition takes no trailing comma.
  instanceColumns[instanceColumns.length - 1] = instanceColumns[instanceColumns.length - 1].replace(/,$/, '');

  const create = (table: string, lines: string[]) => `CREATE TABLE "${table}" (\n${lines.join('\n')}\n)`;

  const statements = [
    create('logic', ['  "id" varchar(36) NOT NULL PRIMARY KEY,', ...configColumns]),
    sqliteTouchTrigger('logic', 'updateTime', 'id'),
    create('logic_bak', ['  "aid" varchar(36) NOT NULL PRIMARY KEY,', '  "id" varchar(36),', ...configColumns]),
    sqliteTouchTrigger('logic_bak', 'updateTime', 'aid'),
  ];
  if (atLeast(version, '0.7.7')) statements.push('CREATE INDEX "logicid_version_idx" ON "logic_bak" ("id", "version")');
  statements.push(
    create('logic_instance', instanceColumns),
    'CREATE INDEX "idx_logicId_bizId" ON "logic_instance" ("logicId", "bizId")',
  );
  if (atLeast(version, '0.8')) {
    statements.push(
      'CREATE INDEX "idx_bizId_parBizId_serverTime" ON "logic_instance" ("bizId" DESC, "parentBizId" DESC, "serverTime" DESC)',
    );
  }
  statements.push(
    sqliteTouchTrigger('logic_instance', 'serverTime', 'id'),
    create('logic_log', [
      '  "id" varchar(36) NOT NULL,',
      '  "version" varchar(50) NOT NULL,',
      '  "logicId" varchar(36),',
      '  "bizId" varchar(36),',
      '  "nextId" varchar(36),',
      '  "clientId" varchar(50),',
      '  "host" varchar(50),',
      '  "nextName" varchar(50),',
      '  "env" varchar(10),',
      '  "message" varchar(255),',
      '  "messageId" varchar(255),',
      '  "paramsJson" text,',
      '  "varsJson" text,',
      '  "varsJsonEnd" text,',
      '  "returnData" text,',
      '  "itemLogs" longtext,',
      '  "success" tinyint,',
      '  "isOver" tinyint DEFAULT 0,',
      `  "serverTime" datetime(3) DEFAULT ${SQLITE_NOW_3},`,
      '  PRIMARY KEY ("id", "version")',
    ]),
    'CREATE INDEX "idx_logic_log_logicId_bizId" ON "logic_log" ("logicId", "bizId")',
    create('logic_published', [
      '  "id" integer PRIMARY KEY AUTOINCREMENT,',
      '  "logicId" varchar(36),',
      '  "name" varchar(50),',
      '  "version" varchar(50),',
      '  "module" varchar(50),',
      '  "configJson" longtext,',
      '  "publishTime" datetime DEFAULT CURRENT_TIMESTAMP,',
      '  "source" varchar(100),',
      '  "target" varchar(100)',
    ]),
    sqliteTouchTrigger('logic_published', 'publishTime', 'id'),
  );
  return statements;
}

/** The statements that build `build` on an empty database of `engine`. */
export function logicSolutionInstallScript(build: LogicSolutionBuild, engine: LogicSolutionEngine): string[] {
  if (!logicSolutionBuilds(engine).some((b) => b.name === build.name))
    throw new Error(`logic-solution ships no ${build.name} for ${engine}`);
  return engine === 'sqlite' ? sqliteScript(build.version) : mysqlStatements(build);
}

// ---------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------

/** 100 000 characters of JSON: far more than a MySQL TEXT column holds (65 535 bytes). */
export const BIG_RETURN_DATA = (() => {
  const head = '{"rows":"';
  const tail = '"}';
  return head + 'x'.repeat(100_000 - head.length - tail.length) + tail;
})();

const ORDER_CONFIG = '{"id":"logic-order","nodes":[{"id":"start","type":"start"},{"id":"approve","type":"task"}]}';
const REFUND_CONFIG = '{"id":"logic-refund","nodes":[{"id":"start","type":"start"}]}';

/**
 * A few rows per table as logic-solution `version`'s runtimes and IDE write them, with
 * every column that exists at that version (and none that does not), so a read-back
 * compares exactly. Times are 'YYYY-MM-DD HH:MM:SS[.mmm]' (UTC); milliseconds only in
 * datetime(3) columns; flags 0/1.
 */
export function logicSolutionRows(version: LogicSolutionVersion): Record<string, Record<string, unknown>[]> {
  const instances: Record<string, unknown>[] = [
    {
      // finished run with a huge result
      id: '5f0c6a8e-0b1d-4c53-9d1e-000000000001',
      logicId: 'logic-order',
      version: '1.0.2',
      bizId: 'order-1001',
      parentLogicId: null,
      parentBizId: null,
      env: 'prod',
      nextId: 'end',
      nextName: 'End',
      paramsJson: '{"orderId":1001,"amount":12.5}',
      varsJson: '{"approved":true}',
      envsJson: '{"region":"eu"}',
      varsJsonEnd: '{"approved":true,"done":true}',
      returnData: BIG_RETURN_DATA,
      message: 'ok ✓ 完成',
      messageId: 'msg-1',
      success: 1,
      isOver: 1,
      isRunning: 0,
      serverTime: '2026-01-02 03:04:06',
      startTime: '2026-01-02 03:04:05.123',
      stopTime: '2026-01-02 03:04:06.456',
      duration: 1333,
    },
    {
      // child run still going: most columns empty
      id: '5f0c6a8e-0b1d-4c53-9d1e-000000000002',
      logicId: 'logic-refund',
      version: '0.3.0',
      bizId: 'refund-77',
      parentLogicId: 'logic-order',
      parentBizId: 'order-1001',
      env: 'prod',
      nextId: null,
      nextName: null,
      paramsJson: null,
      varsJson: null,
      envsJson: null,
      varsJsonEnd: null,
      returnData: null,
      message: null,
      messageId: null,
      success: null,
      isOver: 0,
      isRunning: 1,
      serverTime: null,
      startTime: '2026-01-02 03:05:00.001',
      stopTime: null,
      duration: null,
    },
    {
      // failed run, waiting at a node to be retried
      id: '5f0c6a8e-0b1d-4c53-9d1e-000000000003',
      logicId: 'logic-order',
      version: '1.0.2',
      bizId: 'order-1002',
      parentLogicId: null,
      parentBizId: null,
      env: 'test',
      nextId: 'approve',
      nextName: 'Approve',
      paramsJson: '{"orderId":1002}',
      varsJson: '{}',
      envsJson: '{}',
      varsJsonEnd: '{"error":"timeout"}',
      returnData: '{"error":"timeout"}',
      message: 'connect ETIMEDOUT 10.0.0.8:443',
      messageId: 'msg-3',
      success: 0,
      isOver: 0,
      isRunning: 0,
      serverTime: '2026-01-02 04:00:00',
      startTime: '2026-01-02 03:59:58.999',
      stopTime: '2026-01-02 04:00:00.000',
      duration: 1001,
    },
  ];
  if (atLeast(version, '0.7.4')) {
    const added = [
      { createTime: '2026-01-02 03:04:05', retryTimes: 0 },
      { createTime: '2026-01-02 03:05:00', retryTimes: 0 },
      { createTime: '2026-01-02 03:59:58', retryTimes: 3 },
    ];
    instances.forEach((row, i) => Object.assign(row, added[i]));
  }
  if (atLeast(version, '0.7.7')) {
    [0, 1, 0].forEach((isAsync, i) => Object.assign(instances[i], { isAsync }));
  }

  return {
    logic: [
      {
        id: 'logic-order',
        name: 'Order flow',
        version: '1.0.2',
        module: 'orders',
        configJson: ORDER_CONFIG,
        updateTime: '2026-01-01 09:00:00',
      },
      {
        id: 'logic-refund',
        name: 'Refund',
        version: '0.3.0',
        module: null,
        configJson: REFUND_CONFIG,
        updateTime: '2026-01-01 10:30:00',
      },
    ],
    logic_bak: [
      {
        aid: 'bak-1',
        id: 'logic-order',
        name: 'Order flow',
        version: '1.0.1',
        module: 'orders',
        configJson: '{"id":"logic-order","nodes":[]}',
        updateTime: '2025-12-20 08:00:00',
      },
      {
        aid: 'bak-2',
        id: 'logic-order',
        name: 'Order flow',
        version: '1.0.2',
        module: 'orders',
        configJson: ORDER_CONFIG,
        updateTime: '2026-01-01 09:00:00',
      },
      {
        aid: 'bak-3',
        id: 'logic-refund',
        name: 'Refund',
        version: '0.3.0',
        module: null,
        configJson: REFUND_CONFIG,
        updateTime: '2026-01-01 10:30:00',
      },
    ],
    logic_published: [
      {
        id: 1,
        logicId: 'logic-order',
        name: 'Order flow',
        version: '1.0.2',
        module: 'orders',
        configJson: ORDER_CONFIG,
        publishTime: '2026-01-01 09:00:01',
        source: 'ide',
        target: 'prod',
      },
      {
        id: 2,
        logicId: 'logic-refund',
        name: 'Refund',
        version: '0.3.0',
        module: null,
        configJson: REFUND_CONFIG,
        publishTime: '2026-01-01 10:30:01',
        source: 'ide',
        target: null,
      },
    ],
    logic_instance: instances,
    logic_log: [
      {
        id: 'log-1',
        version: '1.0.2',
        logicId: 'logic-order',
        bizId: 'order-1001',
        nextId: 'end',
        clientId: 'client-a',
        host: 'runtime-a',
        nextName: 'End',
        env: 'prod',
        message: 'done',
        messageId: 'msg-1',
        paramsJson: '{"orderId":1001}',
        varsJson: '{}',
        varsJsonEnd: '{"done":true}',
        returnData: '{"ok":true}',
        itemLogs: '[{"node":"start"},{"node":"end"}]',
        success: 1,
        isOver: 1,
        serverTime: '2026-01-02 03:04:06.456',
      },
      {
        id: 'log-2',
        version: '1.0.2',
        logicId: 'logic-order',
        bizId: 'order-1002',
        nextId: null,
        clientId: null,
        host: null,
        nextName: null,
        env: 'test',
        message: null,
        messageId: null,
        paramsJson: null,
        varsJson: null,
        varsJsonEnd: null,
        returnData: null,
        itemLogs: null,
        success: 0,
        isOver: 0,
        serverTime: '2026-01-02 04:00:00.000',
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------
// Building a database
// ---------------------------------------------------------------------------------------

function engineOf(dataSource: DataSource): LogicSolutionEngine {
  switch (dataSource.options.type) {
    case 'better-sqlite3':
      return 'sqlite';
    case 'mysql':
    case 'mariadb':
      return 'mysql';
    default:
      throw new Error(`logic-solution ships no install script for ${dataSource.options.type}`);
  }
}

/**
 * Installs logic-solution (a version's full script, or a whole build) on the (empty)
 * database and fills it with that version's logicSolutionRows.
 */
export async function buildLogicSolutionDatabase(
  dataSource: DataSource,
  what: LogicSolutionVersion | LogicSolutionBuild,
): Promise<void> {
  const build = typeof what === 'string' ? fullScriptBuild(what) : what;
  for (const statement of logicSolutionInstallScript(build, engineOf(dataSource))) await dataSource.query(statement);
  for (const [table, rows] of Object.entries(logicSolutionRows(build.version))) {
    for (const row of rows) {
      const columns = Object.keys(row);
      // Backticks quote identifiers on MySQL and on SQLite alike.
      await dataSource.query(
        `INSERT INTO \`${table}\` (${columns.map((c) => `\`${c}\``).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        Object.values(row),
      );
    }
  }
}
