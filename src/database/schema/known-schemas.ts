import type { ColumnShape, IndexShape, TableShape } from '../schema-inspector';

/**
 * The schema at each version, as logic-solution's published install scripts build it
 * (their defaults and index names included) plus logic-ha's own revisions. Used to
 * recognise a database logic-solution created (baseline) and to check the schema an
 * upgrade produced. logic-ha's migrations before ha-4 built a few defaults and one index
 * name differently; ha-4 aligns them, so from ha-4 on every database has this shape
 * whichever way it got here. Where the scripts give no column order, the order is the
 * migrations'; where they give a position (`after isRunning`), it is kept.
 */
export type SchemaVersion =
  '0.6.2' | '0.7.4' | '0.7.7' | '0.8' | 'ha-1' | 'ha-2' | 'ha-3' | 'ha-4' | 'ha-5' | 'ha-6' | 'ha-7';
/** One per migration: logic-solution's versions, then logic-ha's own revisions on top. */
export const SCHEMA_VERSIONS: SchemaVersion[] = [
  '0.6.2',
  '0.7.4',
  '0.7.7',
  '0.8',
  'ha-1',
  'ha-2',
  'ha-3',
  'ha-4',
  'ha-5',
  'ha-6',
  'ha-7',
];

/**
 * The engines differ in one name only: SQLite index names are global to the database, so
 * logic_log's index keeps logic-ha's table-prefixed name there instead of logic-solution's
 * `logicId_bizId`.
 */
export type SchemaEngine = 'mysql' | 'sqlite';

/** The name of logic_log's (logicId, bizId) index on each engine. */
export function logicLogIndexName(engine: SchemaEngine): string {
  return engine === 'mysql' ? 'logicId_bizId' : 'idx_logic_log_logicId_bizId';
}

interface ColumnOptions {
  notNull?: boolean;
  default?: string;
  onUpdate?: boolean;
  autoIncrement?: boolean;
}

function column(name: string, type: string, options: ColumnOptions = {}): ColumnShape {
  return {
    name,
    type,
    nullable: !options.notNull,
    default: options.default ?? null,
    onUpdateCurrentTimestamp: options.onUpdate ?? false,
    autoIncrement: options.autoIncrement ?? false,
  };
}

function index(name: string, columns: string[], descending = false): IndexShape {
  return { name, unique: false, columns: columns.map((c) => ({ name: c, descending })) };
}

const configColumns = (): ColumnShape[] => [
  column('name', 'varchar(50)'),
  column('version', 'varchar(50)'),
  column('module', 'varchar(50)'),
  column('configJson', 'longtext'),
  column('updateTime', 'datetime', { default: 'CURRENT_TIMESTAMP', onUpdate: true }),
];

function baseline(engine: SchemaEngine): TableShape[] {
  return [
    {
      name: 'logic',
      primaryKey: ['id'],
      indexes: [],
      columns: [column('id', 'varchar(36)', { notNull: true }), ...configColumns()],
    },
    {
      name: 'logic_bak',
      primaryKey: ['aid'],
      indexes: [],
      columns: [column('aid', 'varchar(36)', { notNull: true }), column('id', 'varchar(36)'), ...configColumns()],
    },
    {
      name: 'logic_instance',
      primaryKey: ['id'],
      indexes: [index('idx_logicId_bizId', ['logicId', 'bizId'])],
      columns: [
        column('id', 'varchar(36)', { notNull: true }),
        column('logicId', 'varchar(36)'),
        column('version', 'varchar(50)'),
        column('bizId', 'varchar(36)'),
        column('parentLogicId', 'varchar(36)'),
        column('parentBizId', 'varchar(36)'),
        column('env', 'varchar(10)'),
        column('nextId', 'varchar(36)'),
        column('nextName', 'varchar(255)'),
        column('paramsJson', 'text'),
        column('varsJson', 'text'),
        column('envsJson', 'text'),
        column('varsJsonEnd', 'text'),
        column('returnData', 'longtext'),
        column('message', 'varchar(255)'),
        column('messageId', 'varchar(255)'),
        column('success', 'tinyint'),
        column('isOver', 'tinyint', { default: '0' }),
        column('isRunning', 'tinyint', { default: '0' }),
        column('serverTime', 'datetime', { default: 'CURRENT_TIMESTAMP', onUpdate: true }),
        column('startTime', 'datetime(3)', { default: 'CURRENT_TIMESTAMP(3)' }),
        column('stopTime', 'datetime(3)'),
        column('duration', 'bigint'),
      ],
    },
    {
      name: 'logic_log',
      primaryKey: ['id', 'version'],
      indexes: [index(logicLogIndexName(engine), ['logicId', 'bizId'])],
      columns: [
        column('id', 'varchar(36)', { notNull: true }),
        column('version', 'varchar(50)', { notNull: true }),
        column('logicId', 'varchar(36)'),
        column('bizId', 'varchar(36)'),
        column('nextId', 'varchar(36)'),
        column('clientId', 'varchar(50)'),
        column('host', 'varchar(50)'),
        column('nextName', 'varchar(50)'),
        column('env', 'varchar(10)'),
        column('message', 'varchar(255)'),
        column('messageId', 'varchar(255)'),
        column('paramsJson', 'text'),
        column('varsJson', 'text'),
        column('varsJsonEnd', 'text'),
        column('returnData', 'text'),
        column('itemLogs', 'longtext'),
        column('success', 'tinyint'),
        column('isOver', 'tinyint', { default: '0' }),
        column('serverTime', 'datetime(3)', { default: 'CURRENT_TIMESTAMP(3)' }),
      ],
    },
    {
      name: 'logic_published',
      primaryKey: ['id'],
      indexes: [],
      columns: [
        column('id', 'bigint', { notNull: true, autoIncrement: true }),
        column('logicId', 'varchar(36)'),
        column('name', 'varchar(50)'),
        column('version', 'varchar(50)'),
        column('module', 'varchar(50)'),
        column('configJson', 'longtext'),
        column('publishTime', 'datetime', { default: 'CURRENT_TIMESTAMP', onUpdate: true }),
        column('source', 'varchar(100)'),
        column('target', 'varchar(100)'),
      ],
    },
  ];
}

function table(tables: TableShape[], name: string): TableShape {
  const found = tables.find((t) => t.name === name);
  if (!found) throw new Error(`fixture has no table ${name}`);
  return found;
}

function insertAfter(columns: ColumnShape[], after: string, added: ColumnShape): void {
  columns.splice(columns.findIndex((c) => c.name === after) + 1, 0, added);
}

/** logic-ha's backup catalog (ha-2). */
function backupCatalog(): TableShape {
  return {
    name: 'logic_ha_backup',
    primaryKey: ['id'],
    indexes: [index('idx_backup_state_startedAt', ['state', 'startedAt'])],
    columns: [
      column('id', 'varchar(32)', { notNull: true }),
      column('type', 'varchar(16)', { notNull: true }),
      column('state', 'varchar(16)', { notNull: true }),
      column('parentId', 'varchar(32)'),
      column('tag', 'varchar(128)'),
      column('engine', 'varchar(16)', { notNull: true }),
      column('triggeredBy', 'varchar(16)', { notNull: true }),
      column('startedAt', 'datetime(3)', { notNull: true }),
      column('finishedAt', 'datetime(3)'),
      column('verifiedAt', 'datetime(3)'),
      column('sizeBytes', 'bigint', { notNull: true, default: '0' }),
      column('fileCount', 'int', { notNull: true, default: '0' }),
      column('errorCode', 'varchar(64)'),
      column('error', 'text'),
      column('manifest', 'longtext'),
    ],
  };
}

/** logic-ha's failover history (ha-3). */
function failoverHistory(): TableShape {
  return {
    name: 'logic_ha_failover',
    primaryKey: ['id'],
    indexes: [index('idx_failover_startedAt', ['startedAt'])],
    columns: [
      column('id', 'varchar(40)', { notNull: true }),
      column('kind', 'varchar(16)', { notNull: true }),
      column('reason', 'text', { notNull: true }),
      column('startedAt', 'datetime(3)', { notNull: true }),
      column('finishedAt', 'datetime(3)', { notNull: true }),
      column('oldPrimary', 'varchar(255)', { notNull: true }),
      column('newPrimary', 'varchar(255)'),
      column('epoch', 'int', { notNull: true }),
      column('outcome', 'varchar(16)', { notNull: true }),
      column('steps', 'longtext', { notNull: true }),
      column('error', 'text'),
    ],
  };
}

/** ha-6: the newest test restore's outcome, on the backup catalog. */
function backupRestoreCheck(): ColumnShape[] {
  return [
    column('restoreCheckedAt', 'datetime(3)'),
    column('restoreVerifiedAt', 'datetime(3)'),
    column('restoreCheckError', 'text'),
    column('restoreCheckDetail', 'longtext'),
  ];
}

/** ha-7: Standard Webhooks deliveries, one row per event and endpoint. */
function webhookDeliveries(): TableShape {
  return {
    name: 'logic_ha_webhook_delivery',
    primaryKey: ['messageId', 'endpoint'],
    indexes: [
      index('idx_webhook_delivery_due', ['status', 'nextAttemptAt']),
      index('idx_webhook_delivery_createdAt', ['createdAt']),
    ],
    columns: [
      column('messageId', 'varchar(40)', { notNull: true }),
      column('endpoint', 'varchar(16)', { notNull: true }),
      column('type', 'varchar(64)', { notNull: true }),
      column('payload', 'longtext', { notNull: true }),
      column('status', 'varchar(16)', { notNull: true }),
      column('attempts', 'int', { notNull: true }),
      column('createdAt', 'datetime(3)', { notNull: true }),
      column('nextAttemptAt', 'datetime(3)'),
      column('lastAttemptAt', 'datetime(3)'),
      column('deliveredAt', 'datetime(3)'),
      column('responseStatus', 'int'),
      column('lastError', 'text'),
      column('claimedBy', 'varchar(128)'),
      column('claimedUntil', 'datetime(3)'),
    ],
  };
}

/** ha-7: the webhook endpoints a 410 Gone disabled. */
function webhookEndpoints(): TableShape {
  return {
    name: 'logic_ha_webhook_endpoint',
    primaryKey: ['endpoint'],
    indexes: [],
    columns: [
      column('endpoint', 'varchar(16)', { notNull: true }),
      column('disabledAt', 'datetime(3)', { notNull: true }),
      column('disabledReason', 'text', { notNull: true }),
    ],
  };
}

/** logic-ha's epoch marker (ha-5): one row per primary change, written on the new primary. */
function epochMarker(): TableShape {
  return {
    name: 'logic_ha_epoch',
    primaryKey: ['epoch'],
    indexes: [],
    columns: [
      column('epoch', 'int', { notNull: true }),
      column('primaryServer', 'varchar(255)', { notNull: true }),
      column('managedBy', 'varchar(16)', { notNull: true }),
      column('writer', 'varchar(128)'),
      column('recordedAt', 'datetime(3)', { notNull: true }),
    ],
  };
}

/**
 * The whole schema as logic-solution `version` (or logic-ha's revision) leaves it on
 * `engine` (tables sorted by name, indexes by name). ha-4 changes no shape: it brings
 * databases created by earlier logic-ha migrations to this one.
 */
export function expectedSchema(version: SchemaVersion, engine: SchemaEngine): TableShape[] {
  const tables = baseline(engine);
  const rank = SCHEMA_VERSIONS.indexOf(version);
  const instance = table(tables, 'logic_instance');
  if (rank >= 1) {
    insertAfter(instance.columns, 'isRunning', column('createTime', 'datetime', { default: 'CURRENT_TIMESTAMP' }));
    insertAfter(instance.columns, 'duration', column('retryTimes', 'int', { default: '0' }));
  }
  if (rank >= 2) {
    instance.columns.push(column('isAsync', 'tinyint', { default: '0' }));
    table(tables, 'logic_bak').indexes.push(index('logicid_version_idx', ['id', 'version']));
  }
  if (rank >= 3) {
    instance.indexes.push(index('idx_bizId_parBizId_serverTime', ['bizId', 'parentBizId', 'serverTime'], true));
  }
  if (rank >= 4) {
    // logic-ha's indexes for the instance queries and jobs (not part of logic-solution).
    instance.indexes.push(
      index('idx_instance_uncompleted', ['isOver', 'createTime', 'isRunning', 'success', 'retryTimes', 'logicId']),
      index('idx_instance_isRunning_startTime', ['isRunning', 'startTime']),
      index('idx_instance_createTime', ['createTime']),
    );
  }
  if (rank >= 5) tables.push(backupCatalog());
  if (rank >= 6) tables.push(failoverHistory());
  // rank 7 (ha-4) changes no shape.
  if (rank >= 8) tables.push(epochMarker());
  if (rank >= 9) table(tables, 'logic_ha_backup').columns.push(...backupRestoreCheck());
  if (rank >= 10) tables.push(webhookDeliveries(), webhookEndpoints());
  for (const t of tables) t.indexes.sort((a, b) => a.name.localeCompare(b.name));
  return tables.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * What logic-ha's own migrations before ha-4 left at `version` (up to ha-3): three of
 * logic-solution's defaults missing and, on MariaDB/MySQL, logic_log's index under
 * logic-ha's name. ha-4 aligns them; detection recognises this shape too, so such a
 * database is still known (with ha-4 pending) rather than refused.
 */
export function schemaOfEarlierMigrations(version: SchemaVersion, engine: SchemaEngine): TableShape[] {
  const tables = expectedSchema(version, engine);
  const columnOf = (table: string, name: string) =>
    tables.find((t) => t.name === table)!.columns.find((c) => c.name === name)!;
  columnOf('logic_instance', 'serverTime').default = null;
  columnOf('logic_log', 'serverTime').default = null;
  columnOf('logic_published', 'publishTime').onUpdateCurrentTimestamp = false;
  tables.find((t) => t.name === 'logic_log')!.indexes[0].name = logicLogIndexName('sqlite');
  return tables;
}
