import type { QueryRunner } from 'typeorm';

/**
 * Migrations are written by hand for both engines: MariaDB/MySQL as logic-solution
 * created it, and SQLite as the faithful mapping (same declared types, defaults through
 * expressions, ON UPDATE through triggers).
 */
export function isSqlite(queryRunner: QueryRunner): boolean {
  return queryRunner.connection.driver.options.type === 'better-sqlite3';
}

export async function runAll(queryRunner: QueryRunner, statements: string[]): Promise<void> {
  for (const statement of statements) await queryRunner.query(statement);
}

/** SQLite's spelling of MySQL's `DEFAULT CURRENT_TIMESTAMP(3)`: UTC with milliseconds. */
export const SQLITE_NOW_MS = `(strftime('%Y-%m-%d %H:%M:%f','now'))`;

/**
 * SQLite has no `ON UPDATE CURRENT_TIMESTAMP`: this trigger refreshes the column on every
 * UPDATE that did not set it itself. Unlike MySQL it also fires on an UPDATE that changes
 * nothing; it names no other column, so later migrations may drop columns freely.
 */
export function sqliteOnUpdateTrigger(table: string, column: string, key: string, now = 'CURRENT_TIMESTAMP'): string {
  return (
    `CREATE TRIGGER "${table}_${column}_on_update" AFTER UPDATE ON "${table}" FOR EACH ROW ` +
    `WHEN NEW."${column}" IS OLD."${column}" ` +
    `BEGIN UPDATE "${table}" SET "${column}" = ${now} WHERE "${key}" = NEW."${key}"; END`
  );
}

/**
 * SQLite cannot add a column whose default is not a constant, nor place a column: the
 * table is rebuilt (create new, copy, drop, rename), then its indexes and triggers are
 * recreated. Runs inside the migration's transaction.
 */
export async function rebuildSqliteTable(
  queryRunner: QueryRunner,
  table: string,
  columnDefinitions: string,
  copiedColumns: string[],
  recreate: string[],
): Promise<void> {
  const staging = `${table}__rebuild`;
  const columns = copiedColumns.map((c) => `"${c}"`).join(', ');
  await runAll(queryRunner, [
    `CREATE TABLE "${staging}" (${columnDefinitions})`,
    `INSERT INTO "${staging}" (${columns}) SELECT ${columns} FROM "${table}"`,
    `DROP TABLE "${table}"`,
    `ALTER TABLE "${staging}" RENAME TO "${table}"`,
    ...recreate,
  ]);
}
