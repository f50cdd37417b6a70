import type { Connection } from 'mysql2/promise';
import type { TableFingerprint } from '../backup.types';
import { queryRows } from '../engines/mysql/mysql-client';

/** 2^64: the per-row hashes are summed exactly (DECIMAL) and reduced to a 64-bit value. */
const TWO_TO_64 = '18446744073709551616';

/** Backquotes a MariaDB identifier (a backquote inside is doubled). */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/**
 * One column's part of the row hash: 'N' for NULL, else 'v' and the SHA-256 of the value's
 * own bytes, so NULL, '' and the string 'NULL' all differ. Hashing each cell keeps the row's
 * text small: a cell as large as max_allowed_packet, grown by HEX() or QUOTE(), would turn
 * NULL and silently drop out of the row. SHA2 reads the value as stored, without converting
 * character sets; temporal values read as text, so sessions fix time_zone (see below).
 */
export function columnHashSql(column: string): string {
  const c = quoteIdentifier(column);
  return `IF(${c} IS NULL, 'N', CONCAT('v', SHA2(${c}, 256)))`;
}

/**
 * The query that fingerprints one table: COUNT(*) and the sum, modulo 2^64, of the first
 * 64 bits of a SHA-256 over each row. Every column takes part, in ORDINAL_POSITION order,
 * as columnHashSql() gives it. A sum, unlike BIT_XOR, does not cancel two identical rows;
 * both are independent of row order, so the same rows give the same value on any server.
 */
export function fingerprintSql(database: string, table: string, columns: string[]): string {
  if (columns.length === 0) throw new Error(`table ${table} has no columns`);
  const row = `CONCAT_WS(',', ${columns.map(columnHashSql).join(', ')})`;
  const rowHash = `CAST(CONV(LEFT(SHA2(${row}, 256), 16), 16, 10) AS UNSIGNED)`;
  return (
    `SELECT COUNT(*) AS \`rows\`, CAST(MOD(COALESCE(SUM(${rowHash}), 0), ${TWO_TO_64}) AS CHAR) AS checksum ` +
    `FROM ${quoteIdentifier(database)}.${quoteIdentifier(table)}`
  );
}

interface ColumnRow {
  tableName: string;
  columnName: string;
}

/**
 * Fingerprints every base table of `database`, reading in whatever transaction the
 * connection holds: inside START TRANSACTION WITH CONSISTENT SNAPSHOT, all tables are
 * seen at one point.
 */
export async function fingerprintDatabase(
  connection: Connection,
  database: string,
): Promise<Record<string, TableFingerprint>> {
  // TIMESTAMP columns read in the session's time zone: both sides of a comparison read in UTC.
  await connection.query("SET SESSION time_zone = '+00:00'");
  const columns = await queryRows<ColumnRow>(
    connection,
    `SELECT c.TABLE_NAME AS tableName, c.COLUMN_NAME AS columnName
       FROM information_schema.COLUMNS c
       JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
      WHERE c.TABLE_SCHEMA = ? AND t.TABLE_TYPE = 'BASE TABLE'
      ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
    [database],
  );
  const byTable = new Map<string, string[]>();
  for (const { tableName, columnName } of columns) {
    byTable.set(tableName, [...(byTable.get(tableName) ?? []), columnName]);
  }
  const tables: Record<string, TableFingerprint> = {};
  for (const [table, names] of [...byTable].sort(([a], [b]) => a.localeCompare(b))) {
    const [row] = await queryRows<{ rows: number | string; checksum: string }>(
      connection,
      fingerprintSql(database, table, names),
    );
    tables[table] = { rows: Number(row.rows), checksum: String(row.checksum) };
  }
  return tables;
}
