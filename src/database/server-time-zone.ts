import type { DataSource } from 'typeorm';

/**
 * logic-ha writes every time in UTC (the driver's `timezone: 'Z'`), but a row a
 * logic-solution runtime inserts takes serverTime / createTime / startTime from the
 * column defaults, in the database server's own time zone. Only on a server in UTC do the
 * two agree; elsewhere "newest by serverTime" and the retry cut-offs compare times hours
 * apart. MariaDB/MySQL only: SQLite's CURRENT_TIMESTAMP is always UTC.
 */
export async function serverUtcOffsetMinutes(dataSource: DataSource): Promise<number | null> {
  if (dataSource.options.type === 'better-sqlite3') return null;
  // `offset` is a reserved word on MariaDB: the alias says more anyway.
  const [row]: { offsetMinutes: number | string }[] = await dataSource.query(
    'SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW()) AS offsetMinutes',
  );
  return Number(row.offsetMinutes);
}

/** The warning to log at start, or null when the server keeps UTC (or is SQLite). */
export function timeZoneWarning(offsetMinutes: number | null): string | null {
  if (offsetMinutes === null || offsetMinutes === 0) return null;
  const hours = offsetMinutes / 60;
  return (
    `the database server's time zone is UTC${hours > 0 ? '+' : ''}${hours}: rows logic-solution runtimes insert take their times ` +
    `from column defaults in that zone, while logic-ha writes UTC, so the two disagree by ${Math.abs(hours)} h. ` +
    `Run the server in UTC (default-time-zone='+00:00')`
  );
}
