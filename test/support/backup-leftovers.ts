import { execFileSync } from 'node:child_process';
import type { MariaDbServer } from './mariadb';

/**
 * What a failed backup must not leave behind on a MariaDB server: a mariadb-dump process,
 * its connection, its REPEATABLE READ transaction (issue 17: a dump blocked on a pipe
 * nobody reads any more held all three until logic-ha exited).
 */

/** Command lines of mariadb-dump processes reading the server on `port`. */
export function dumpProcesses(port: number): string[] {
  const lines = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n');
  return lines.filter((line) => line.includes('mariadb-dump') && line.includes(`--port=${port}`));
}

export async function openTransactions(server: MariaDbServer): Promise<number> {
  return (await server.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM information_schema.innodb_trx'))[0].n;
}

/** Connections of root (the backup account in these tests) on `database`, besides this query's own. */
export async function rootConnectionsOn(server: MariaDbServer, database: string): Promise<number> {
  const rows = await server.query<{ n: number }[]>(
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'root' AND ID <> CONNECTION_ID() AND DB = ?",
    [database],
  );
  return rows[0].n;
}

/** Polls `check` every 100 ms; the server notices a dead client's socket a moment after the kill. */
export async function eventually(check: () => Promise<boolean>, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not true after ${limitMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
