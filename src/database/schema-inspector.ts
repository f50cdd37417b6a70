import { type DataSource } from 'typeorm';
import { MIGRATIONS_TABLE, SCHEMA_HISTORY_TABLE } from './data-source-options.factory';
import type { SchemaEngine } from './schema/known-schemas';

/** Bookkeeping, not schema: they exist before the first migration and are nobody's version. */
const BOOKKEEPING_TABLES = new Set([MIGRATIONS_TABLE, SCHEMA_HISTORY_TABLE]);

export interface ColumnShape {
  name: string;
  /** MySQL spelling, lower case, integer display widths dropped: `varchar(36)`, `tinyint`, `datetime(3)`. */
  type: string;
  nullable: boolean;
  /** `CURRENT_TIMESTAMP`, `CURRENT_TIMESTAMP(3)`, a literal such as `0`, or null for none. */
  default: string | null;
  onUpdateCurrentTimestamp: boolean;
  autoIncrement: boolean;
}

export interface IndexShape {
  name: string;
  /** `length` only on a prefix index (`logicId(4)`): it indexes less than the column holds. */
  columns: { name: string; descending: boolean; length?: number }[];
  unique: boolean;
}

export interface TableShape {
  name: string;
  columns: ColumnShape[];
  primaryKey: string[];
  indexes: IndexShape[];
}

/**
 * Reads the live schema of the connected database into one engine-neutral shape, so the
 * same expectations hold for MariaDB/MySQL and SQLite (and so logic-ha can recognise a
 * database that logic-solution created). Tables are sorted by name, indexes by name.
 */
export async function inspectSchema(dataSource: DataSource): Promise<TableShape[]> {
  const tables =
    dataSource.options.type === 'better-sqlite3' ? await inspectSqlite(dataSource) : await inspectMysql(dataSource);
  return tables
    .filter((table) => !BOOKKEEPING_TABLES.has(table.name))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((table) => ({ ...table, indexes: table.indexes.sort((a, b) => a.name.localeCompare(b.name)) }));
}

/** Which engine's rendering of the known schemas the connected database is compared with. */
export function schemaEngineOf(dataSource: DataSource): SchemaEngine {
  return dataSource.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql';
}

const INTEGER_WIDTH = /^(tinyint|smallint|mediumint|int|bigint)\(\d+\)/;

function normaliseType(type: string): string {
  return type.toLowerCase().replace(INTEGER_WIDTH, '$1').trim();
}

function normaliseDefault(value: string | null): string | null {
  if (value === null || value.toUpperCase() === 'NULL') return null;
  const bare = value.replace(/^\((.*)\)$/s, '$1').trim();
  if (/^current_timestamp(\(\))?$/i.test(bare)) return 'CURRENT_TIMESTAMP';
  if (/^current_timestamp\(3\)$/i.test(bare)) return 'CURRENT_TIMESTAMP(3)';
  // SQLite's spelling of now with milliseconds (see migrations/support/dialect.ts).
  if (/^strftime\('%Y-%m-%d %H:%M:%f',\s*'now'\)$/i.test(bare)) return 'CURRENT_TIMESTAMP(3)';
  return bare.replace(/^'(.*)'$/s, '$1');
}

async function inspectMysql(dataSource: DataSource): Promise<TableShape[]> {
  const columns: Record<string, string | number | null>[] = await dataSource.query(
    `SELECT TABLE_NAME AS tableName, COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable,
            COLUMN_DEFAULT AS defaultValue, EXTRA AS extra
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`,
  );
  const statistics: Record<string, string | number>[] = await dataSource.query(
    `SELECT TABLE_NAME AS tableName, INDEX_NAME AS indexName, COLUMN_NAME AS columnName, COLLATION AS collation,
            NON_UNIQUE AS nonUnique, SUB_PART AS subPart
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
  );
  const tables = new Map<string, TableShape>();
  for (const row of columns) {
    const tableName = String(row.tableName);
    if (!tables.has(tableName)) tables.set(tableName, { name: tableName, columns: [], primaryKey: [], indexes: [] });
    const extra = String(row.extra ?? '').toLowerCase();
    tables.get(tableName)!.columns.push({
      name: String(row.name),
      type: normaliseType(String(row.type)),
      nullable: row.nullable === 'YES',
      default: normaliseDefault(row.defaultValue === null ? null : String(row.defaultValue)),
      onUpdateCurrentTimestamp: extra.includes('on update current_timestamp'),
      autoIncrement: extra.includes('auto_increment'),
    });
  }
  for (const row of statistics) {
    const table = tables.get(String(row.tableName));
    if (!table) continue;
    const column = {
      name: String(row.columnName),
      descending: row.collation === 'D',
      ...(row.subPart === null || row.subPart === undefined ? {} : { length: Number(row.subPart) }),
    };
    if (row.indexName === 'PRIMARY') {
      table.primaryKey.push(column.name);
      continue;
    }
    let index = table.indexes.find((i) => i.name === row.indexName);
    if (!index) {
      index = { name: String(row.indexName), columns: [], unique: Number(row.nonUnique) === 0 };
      table.indexes.push(index);
    }
    index.columns.push(column);
  }
  return [...tables.values()];
}

interface SqliteColumn {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

async function inspectSqlite(dataSource: DataSource): Promise<TableShape[]> {
  const objects: { type: string; name: string; tbl_name: string; sql: string | null }[] = await dataSource.query(
    `SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'`,
  );
  const shapes: TableShape[] = [];
  for (const table of objects.filter((o) => o.type === 'table')) {
    const columns: SqliteColumn[] = await dataSource.query(`PRAGMA table_info("${table.name}")`);
    const onUpdate = onUpdateColumns(objects.filter((o) => o.type === 'trigger' && o.tbl_name === table.name));
    const autoIncrement = /AUTOINCREMENT/i.test(table.sql ?? '');
    shapes.push({
      name: table.name,
      columns: columns.map((c) => ({
        name: c.name,
        // INTEGER is SQLite's only auto-increment key type; it stands for MySQL's bigint AUTO_INCREMENT.
        type: autoIncrement && c.pk > 0 ? 'bigint' : normaliseType(c.type),
        nullable: c.notnull === 0 && c.pk === 0,
        default: normaliseDefault(c.dflt_value),
        onUpdateCurrentTimestamp: onUpdate.has(c.name),
        autoIncrement: autoIncrement && c.pk > 0,
      })),
      primaryKey: columns
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
      indexes: await sqliteIndexes(dataSource, table.name),
    });
  }
  return shapes;
}

/** Columns kept current by an on-update trigger (SQLite's stand-in for ON UPDATE CURRENT_TIMESTAMP). */
function onUpdateColumns(triggers: { sql: string | null }[]): Set<string> {
  const columns = new Set<string>();
  for (const trigger of triggers) {
    const match = /AFTER UPDATE.*SET\s+"(\w+)"\s*=\s*(CURRENT_TIMESTAMP|\(?strftime)/is.exec(trigger.sql ?? '');
    if (match) columns.add(match[1]);
  }
  return columns;
}

async function sqliteIndexes(dataSource: DataSource, table: string): Promise<IndexShape[]> {
  const list: { name: string; unique: number; origin: string }[] = await dataSource.query(
    `PRAGMA index_list("${table}")`,
  );
  const indexes: IndexShape[] = [];
  for (const index of list.filter((i) => i.origin === 'c')) {
    const info: { name: string; desc: number; key: number; seqno: number }[] = await dataSource.query(
      `PRAGMA index_xinfo("${index.name}")`,
    );
    indexes.push({
      name: index.name,
      unique: index.unique === 1,
      columns: info
        .filter((c) => c.key === 1)
        .sort((a, b) => a.seqno - b.seqno)
        .map((c) => ({ name: c.name, descending: c.desc === 1 })),
    });
  }
  return indexes;
}
