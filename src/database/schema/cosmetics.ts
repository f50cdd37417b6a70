import type { DataSource } from 'typeorm';
import type { SchemaComparison } from './schema-diff';

/**
 * What a schema comparison forgives but still reports: comments, collations and character
 * sets, integer display widths and table options. logic-solution's scripts are Navicat
 * exports that carry all of these (`tinyint(1)`, `utf8mb4_unicode_ci`, Chinese comments,
 * `ROW_FORMAT = Dynamic`), logic-ha's migrations none, and nothing either runs depends on
 * them. `USING BTREE` leaves no trace (InnoDB indexes are B-trees either way), nor does an
 * `AUTO_INCREMENT=79` table option (it is the counter's state, not the table's shape).
 * The storage engine is read here too, but is no cosmetic: a table that is not InnoDB has
 * no transactions, and is refused. SQLite keeps none of this.
 */
export interface SchemaCosmetics {
  /** The database's default collation: a table in it needs no collation of its own. */
  databaseCollation: string | null;
  tables: TableCosmetics[];
}

export interface TableCosmetics {
  table: string;
  /** InnoDB, or what else the table was created with (MyISAM has no transactions). */
  engine: string | null;
  collation: string | null;
  /** information_schema's CREATE_OPTIONS: the options given explicitly, such as `row_format=DYNAMIC`. */
  options: string;
  comment: string;
  columns: ColumnCosmetics[];
}

export interface ColumnCosmetics {
  name: string;
  /** As declared, display width included: `tinyint(1)`. */
  declaredType: string;
  charset: string | null;
  collation: string | null;
  comment: string;
}

export const NO_COSMETICS: SchemaCosmetics = { databaseCollation: null, tables: [] };

export async function inspectCosmetics(dataSource: DataSource): Promise<SchemaCosmetics> {
  if (dataSource.options.type === 'better-sqlite3') return NO_COSMETICS;
  const [schema]: { collation: string | null }[] = await dataSource.query(
    'SELECT DEFAULT_COLLATION_NAME AS collation FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()',
  );
  const tables: {
    name: string;
    engine: string | null;
    collation: string | null;
    options: string | null;
    comment: string | null;
  }[] = await dataSource.query(
    `SELECT TABLE_NAME AS name, ENGINE AS engine, TABLE_COLLATION AS collation, CREATE_OPTIONS AS options, TABLE_COMMENT AS comment
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`,
  );
  const columns: (ColumnCosmetics & { tableName: string })[] = await dataSource.query(
    `SELECT TABLE_NAME AS tableName, COLUMN_NAME AS name, COLUMN_TYPE AS declaredType, CHARACTER_SET_NAME AS charset,
            COLLATION_NAME AS collation, COLUMN_COMMENT AS comment
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`,
  );
  return {
    databaseCollation: schema?.collation ?? null,
    tables: tables.map((table) => ({
      table: table.name,
      engine: table.engine,
      collation: table.collation,
      options: table.options ?? '',
      comment: table.comment ?? '',
      columns: columns
        .filter((column) => column.tableName === table.name)
        .map(({ tableName: _table, ...column }) => column),
    })),
  };
}

/** MariaDB's display width of an integer type declared without one; MySQL 8 shows none. */
const DEFAULT_WIDTHS: Record<string, string> = { tinyint: '4', smallint: '6', mediumint: '9', int: '11', bigint: '20' };

function explicitWidth(declaredType: string): boolean {
  const match = /^(tinyint|smallint|mediumint|int|bigint)\((\d+)\)/i.exec(declaredType);
  return match !== null && DEFAULT_WIDTHS[match[1].toLowerCase()] !== match[2];
}

function listed(
  table: string,
  what: string,
  columns: ColumnCosmetics[],
  describe: (column: ColumnCosmetics) => string,
): string[] {
  return columns.length === 0 ? [] : [`${table}: ${what} on ${columns.map(describe).join(', ')}`];
}

/** One line per table and kind of cosmetic difference (tolerated), and a storage engine other than InnoDB (refused). */
export function compareCosmetics(cosmetics: SchemaCosmetics, tables: string[]): SchemaComparison {
  const known = cosmetics.tables.filter((t) => tables.includes(t.table));
  const refused = known
    .filter((table) => table.engine !== null && table.engine.toLowerCase() !== 'innodb')
    .map((table) => `${table.table}: storage engine is ${table.engine}, expected InnoDB (transactions)`);
  return { refused, tolerated: known.flatMap((table) => describeTable(table, cosmetics.databaseCollation)) };
}

function describeTable(table: TableCosmetics, databaseCollation: string | null): string[] {
  const name = table.table;
  const lines: string[] = [];
  if (table.collation && databaseCollation && table.collation !== databaseCollation) {
    lines.push(`${name}: collation ${table.collation} (the database's default is ${databaseCollation})`);
  }
  if (table.options) lines.push(`${name}: table options ${table.options}`);
  if (table.comment) lines.push(`${name}: table comment ${JSON.stringify(table.comment)}`);
  const charsets = table.columns.filter((c) => c.charset !== null && c.charset !== 'utf8mb4');
  lines.push(...listed(name, 'character sets', charsets, (c) => `${c.name} ${c.charset}`));
  const collations = table.columns.filter((c) => c.collation !== null && c.collation !== table.collation);
  lines.push(...listed(name, 'column collations', collations, (c) => `${c.name} ${c.collation}`));
  lines.push(
    ...listed(
      name,
      'display widths',
      table.columns.filter((c) => explicitWidth(c.declaredType)),
      (c) => `${c.name} ${c.declaredType}`,
    ),
  );
  lines.push(
    ...listed(
      name,
      'comments',
      table.columns.filter((c) => c.comment !== ''),
      (c) => `${c.name} ${JSON.stringify(c.comment)}`,
    ),
  );
  return lines;
}
