import type { Connection } from 'mysql2/promise';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { type MysqlEndpoint, describeEndpoint } from '../../config/mysql-url';
import { BackupErrorCode } from '../backup.errors';
import { queryRows } from '../engines/mysql/mysql-client';

/** The comment logic-ha gives every scratch database it creates (MariaDB 10.5+ database comments). */
export const SCRATCH_MARKER = 'logic-ha test-restore scratch';

/**
 * Who a server says it is. Host strings cannot tell: `localhost`, `127.0.0.1` and a DNS name
 * may all reach one server. The same server always answers the same values, so adding fields
 * only ever separates servers; the datadir tells apart servers on one host sharing a server_id.
 */
export async function serverIdentity(connection: Connection): Promise<string> {
  const [row] = await queryRows<Record<string, unknown>>(
    connection,
    'SELECT @@server_id AS id, @@port AS port, @@hostname AS host, @@datadir AS datadir',
  );
  return JSON.stringify([row.id, row.port, row.host, row.datadir].map(String));
}

/** A live server of the topology, as far as the scratch target's server could be compared with it. */
export interface LiveServer {
  endpoint: MysqlEndpoint;
  /** Null when it could not be reached: it may be the scratch target's server. */
  identity: string | null;
}

/**
 * Whether the scratch target is on a live server (its writes must then stay out of the
 * binlog), refusing outright when it would be a live server's app database.
 */
export function checkAgainstLive(scratch: MysqlEndpoint, scratchIdentity: string, live: LiveServer[]): boolean {
  let onLive = false;
  for (const server of live) {
    const same = server.identity === scratchIdentity;
    onLive ||= same;
    // An unidentified server might be this one: its app database name is then refused too.
    if ((same || server.identity === null) && server.endpoint.database === scratch.database)
      throw new DomainError(
        BackupErrorCode.TargetRefused,
        ErrorKind.Conflict,
        `BACKUP_TEST_RESTORE_URL names ${describeEndpoint(scratch)}, the service's own live database ` +
          `${same ? 'on' : 'possibly on'} ${describeEndpoint(server.endpoint)}: a test restore drops its target`,
        { details: { field: 'BACKUP_TEST_RESTORE_URL' } },
      );
  }
  return onLive;
}

/**
 * Refuses to let a test restore drop a database it did not create: one at the scratch name
 * must carry the marker or hold nothing. Answers whether there is a database to drop.
 */
export async function assertDroppable(connection: Connection, database: string): Promise<boolean> {
  const [schema] = await queryRows<{ comment: string | null }>(
    connection,
    'SELECT SCHEMA_COMMENT AS comment FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [database],
  );
  if (!schema) return false;
  if (schema.comment === SCRATCH_MARKER) return true;
  const [row] = await queryRows<{ n: number }>(
    connection,
    `SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?)
          + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?) AS n`,
    [database, database],
  );
  if (Number(row.n) === 0) return true;
  throw new DomainError(
    BackupErrorCode.TargetRefused,
    ErrorKind.Conflict,
    `the test restore's scratch database ${database} already exists, holds ${row.n} table(s)/routine(s) and lacks ` +
      `the logic-ha scratch marker: logic-ha will not drop a database it did not create ` +
      `(point BACKUP_TEST_RESTORE_URL elsewhere, or drop it by hand)`,
    { details: { field: 'BACKUP_TEST_RESTORE_URL', database } },
  );
}

/** Creates the scratch database with the marker that later allows dropping it. */
export async function createMarked(connection: Connection, database: string): Promise<void> {
  await connection.query(
    `CREATE DATABASE ${connection.escapeId(database)} CHARACTER SET utf8mb4 COMMENT ${connection.escape(SCRATCH_MARKER)}`,
  );
}
