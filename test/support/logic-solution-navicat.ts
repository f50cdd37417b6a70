/**
 * logic-solution's published MySQL scripts, rebuilt from the facts in the schema notes
 * ("What logic-solution's own SQL scripts look like"): Navicat exports of MySQL 8.0.21,
 * with `SET NAMES`, `SET FOREIGN_KEY_CHECKS`, `DROP TABLE IF EXISTS` before each table,
 * `utf8mb4_unicode_ci` on every text column and table, Chinese column comments,
 * `tinyint(1)` booleans, keys `USING BTREE`, `ROW_FORMAT = Dynamic`, and the leftover
 * `AUTO_INCREMENT = 79` on logic_published. Written independently of logic-ha's
 * migrations, so adoption compares two authors' renderings of one schema.
 *
 * The full scripts of 0.7.4 and later carry the later logic_instance columns at the end
 * of the table (as an export of a database that grew them); the merge scripts add them
 * with AFTER (createTime after isRunning, retryTimes after duration, isAsync after
 * retryTimes), so the two ways to one version order the columns differently.
 */
export type NavicatVersion = '0.6.2' | '0.7.4' | '0.7.7' | '0.8';
const ORDER: NavicatVersion[] = ['0.6.2', '0.7.4', '0.7.7', '0.8'];

function atLeast(version: NavicatVersion, minimum: NavicatVersion): boolean {
  return ORDER.indexOf(version) >= ORDER.indexOf(minimum);
}

const TEXT = 'CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci';
const TABLE_OPTIONS = `CHARACTER SET = utf8mb4 COLLATE = utf8mb4_unicode_ci ROW_FORMAT = Dynamic`;

/** One column line as Navicat writes it. */
function col(name: string, type: string, rest: string, comment: string): string {
  const text = /^(varchar|text|longtext)/.test(type) ? ` ${TEXT}` : '';
  return `  \`${name}\` ${type}${text} ${rest} COMMENT '${comment}',`;
}

const nullable = (name: string, type: string, comment: string) => col(name, type, 'NULL DEFAULT NULL', comment);

const CONFIG_COLUMNS = [
  nullable('name', 'varchar(50)', '名称'),
  nullable('version', 'varchar(50)', '版本号'),
  nullable('module', 'varchar(50)', '所属模块'),
  nullable('configJson', 'longtext', '逻辑配置JSON'),
  col('updateTime', 'datetime', 'NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP', '更新时间'),
];

const CREATE_TIME = col('createTime', 'datetime', 'NULL DEFAULT CURRENT_TIMESTAMP', '创建时间');
const RETRY_TIMES = col('retryTimes', 'int', "NULL DEFAULT '0'", '重试次数');
const IS_ASYNC = col('isAsync', 'tinyint(1)', "NULL DEFAULT '0'", '是否异步');

function instanceColumns(version: NavicatVersion): string[] {
  return [
    col('id', 'varchar(36)', 'NOT NULL', '主键'),
    nullable('logicId', 'varchar(36)', '逻辑ID'),
    nullable('version', 'varchar(50)', '逻辑版本'),
    nullable('bizId', 'varchar(36)', '业务ID'),
    nullable('parentLogicId', 'varchar(36)', '父逻辑ID'),
    nullable('parentBizId', 'varchar(36)', '父业务ID'),
    nullable('env', 'varchar(10)', '运行环境'),
    nullable('nextId', 'varchar(36)', '下一节点ID'),
    nullable('nextName', 'varchar(255)', '下一节点名称'),
    nullable('paramsJson', 'text', '入参'),
    nullable('varsJson', 'text', '局部变量'),
    nullable('envsJson', 'text', '环境变量'),
    nullable('varsJsonEnd', 'text', '结束时的局部变量'),
    nullable('returnData', 'longtext', '返回数据'),
    nullable('message', 'varchar(255)', '消息'),
    nullable('messageId', 'varchar(255)', '消息ID'),
    nullable('success', 'tinyint(1)', '是否成功'),
    col('isOver', 'tinyint(1)', "NULL DEFAULT '0'", '是否结束'),
    col('isRunning', 'tinyint(1)', "NULL DEFAULT '0'", '是否运行中'),
    col('serverTime', 'datetime', 'NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP', '服务器时间'),
    col('startTime', 'datetime(3)', 'NULL DEFAULT CURRENT_TIMESTAMP(3)', '开始时间'),
    nullable('stopTime', 'datetime(3)', '结束时间'),
    nullable('duration', 'bigint', '耗时(毫秒)'),
    ...(atLeast(version, '0.7.4') ? [CREATE_TIME, RETRY_TIMES] : []),
    ...(atLeast(version, '0.7.7') ? [IS_ASYNC] : []),
  ];
}

const LOG_COLUMNS = [
  col('id', 'varchar(36)', 'NOT NULL', '主键'),
  col('version', 'varchar(50)', 'NOT NULL', '逻辑版本'),
  nullable('logicId', 'varchar(36)', '逻辑ID'),
  nullable('bizId', 'varchar(36)', '业务ID'),
  nullable('nextId', 'varchar(36)', '下一节点ID'),
  nullable('clientId', 'varchar(50)', '客户端ID'),
  nullable('host', 'varchar(50)', '主机'),
  nullable('nextName', 'varchar(50)', '下一节点名称'),
  nullable('env', 'varchar(10)', '运行环境'),
  nullable('message', 'varchar(255)', '消息'),
  nullable('messageId', 'varchar(255)', '消息ID'),
  nullable('paramsJson', 'text', '入参'),
  nullable('varsJson', 'text', '局部变量'),
  nullable('varsJsonEnd', 'text', '结束时的局部变量'),
  nullable('returnData', 'text', '返回数据'),
  nullable('itemLogs', 'longtext', '节点日志'),
  nullable('success', 'tinyint(1)', '是否成功'),
  col('isOver', 'tinyint(1)', "NULL DEFAULT '0'", '是否结束'),
  col('serverTime', 'datetime(3)', 'NULL DEFAULT CURRENT_TIMESTAMP(3)', '服务器时间'),
];

const PUBLISHED_COLUMNS = [
  col('id', 'bigint', 'NOT NULL AUTO_INCREMENT', '主键'),
  nullable('logicId', 'varchar(36)', '逻辑ID'),
  ...CONFIG_COLUMNS.slice(0, 4),
  col('publishTime', 'datetime', 'NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP', '发布时间'),
  nullable('source', 'varchar(100)', '来源'),
  nullable('target', 'varchar(100)', '目标'),
];

function table(name: string, columns: string[], keys: string[], options = ''): string {
  return [
    '-- ----------------------------',
    `-- Table structure for ${name}`,
    '-- ----------------------------',
    `DROP TABLE IF EXISTS \`${name}\`;`,
    `CREATE TABLE \`${name}\`  (`,
    ...columns,
    keys.join(',\n'),
    `) ENGINE = InnoDB${options} ${TABLE_OPTIONS};`,
    '',
  ].join('\n');
}

const HEADER = `/*
 Navicat Premium Data Transfer

 Source Server         : logic-prod
 Source Server Type    : MySQL
 Source Server Version : 80021
 Source Schema         : logic

 Target Server Type    : MySQL
 Target Server Version : 80021
 File Encoding         : 65001
*/

SET NAMES utf8mb4;
SET FOREIGN_KEY_CHECKS = 0;
`;

/** The full install script of `version`, as published. */
export function navicatInstallScript(version: NavicatVersion): string {
  const instanceKeys = [
    '  PRIMARY KEY (`id`) USING BTREE',
    '  INDEX `idx_logicId_bizId`(`logicId` ASC, `bizId` ASC) USING BTREE',
  ];
  if (atLeast(version, '0.8')) {
    instanceKeys.push(
      '  INDEX `idx_bizId_parBizId_serverTime`(`bizId` DESC, `parentBizId` DESC, `serverTime` DESC) USING BTREE',
    );
  }
  const bakKeys = ['  PRIMARY KEY (`aid`) USING BTREE'];
  if (atLeast(version, '0.7.7')) bakKeys.push('  INDEX `logicid_version_idx`(`id` ASC, `version` ASC) USING BTREE');
  return [
    HEADER,
    table(
      'logic',
      [col('id', 'varchar(36)', 'NOT NULL', '逻辑ID'), ...CONFIG_COLUMNS],
      ['  PRIMARY KEY (`id`) USING BTREE'],
    ),
    table(
      'logic_bak',
      [col('aid', 'varchar(36)', 'NOT NULL', '主键'), nullable('id', 'varchar(36)', '逻辑ID'), ...CONFIG_COLUMNS],
      bakKeys,
    ),
    table('logic_instance', instanceColumns(version), instanceKeys),
    table('logic_log', LOG_COLUMNS, [
      '  PRIMARY KEY (`id`, `version`) USING BTREE',
      '  INDEX `logicId_bizId`(`logicId` ASC, `bizId` ASC) USING BTREE',
    ]),
    table('logic_published', PUBLISHED_COLUMNS, ['  PRIMARY KEY (`id`) USING BTREE'], ' AUTO_INCREMENT = 79'),
    'SET FOREIGN_KEY_CHECKS = 1;',
  ].join('\n');
}

/** The published merge scripts: 0.6.2 -> 0.7.4 and 0.7.4 -> 0.7.7. */
export const NAVICAT_MERGE_SCRIPTS: Record<'0.7.4' | '0.7.7', string> = {
  '0.7.4': [
    'SET NAMES utf8mb4;',
    `ALTER TABLE \`logic_instance\` ADD COLUMN ${CREATE_TIME.trim().replace(/,$/, '')} AFTER \`isRunning\`;`,
    `ALTER TABLE \`logic_instance\` ADD COLUMN ${RETRY_TIMES.trim().replace(/,$/, '')} AFTER \`duration\`;`,
  ].join('\n'),
  '0.7.7': [
    'SET NAMES utf8mb4;',
    `ALTER TABLE \`logic_instance\` ADD COLUMN ${IS_ASYNC.trim().replace(/,$/, '')} AFTER \`retryTimes\`;`,
    'ALTER TABLE `logic_bak` ADD INDEX `logicid_version_idx`(`id` ASC, `version` ASC) USING BTREE;',
  ].join('\n'),
};

/** A script's statements, as the mysql client splits them (no statement here holds a `;` in a string). */
export function statementsOf(script: string): string[] {
  return script
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .filter((line) => !line.startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}
