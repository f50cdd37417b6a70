import { Injectable } from '@nestjs/common';
import type { TableFingerprint } from '../backup.types';
import { type MysqlEndpoint, describeEndpoint } from '../../config/mysql-url';
import { UNLOGGED_SESSION } from '../engines/mysql/mysql-restore.engine';
import { connectTo, queryRows, withConnection } from '../engines/mysql/mysql-client';
import { fingerprintDatabase } from '../verification/table-fingerprint';
import { type LiveServer, assertDroppable, checkAgainstLive, createMarked, serverIdentity } from './scratch-guard';

/** Where a test restore goes, and whether its writes must stay out of that server's binlog. */
export interface ScratchTarget {
  endpoint: MysqlEndpoint;
  /** True on the primary's own server: nothing of the scratch database may reach a replica. */
  unlogged: boolean;
  /** The topology's servers, each naming its app database: prepare() compares identities with them. */
  liveServers: MysqlEndpoint[];
}

const SCRATCH_SUFFIX = '_logic_ha_restore_check';
/** MariaDB's limit on a database name. */
const MAX_DATABASE_NAME = 64;

/** The private scratch database beside the app's: `<db>_logic_ha_restore_check`, within 64 characters. */
export function scratchDatabaseName(appDatabase: string): string {
  return `${appDatabase.slice(0, MAX_DATABASE_NAME - SCRATCH_SUFFIX.length)}${SCRATCH_SUFFIX}`;
}

/** The mysql:// URL the restore engine takes; it carries the password and is never logged. */
export function targetUrl(endpoint: MysqlEndpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const credentials = `${encodeURIComponent(endpoint.user)}:${encodeURIComponent(endpoint.password)}`;
  return `mysql://${credentials}@${host}:${endpoint.port}/${encodeURIComponent(endpoint.database)}`;
}

/** The server-wide lock a test restore holds for its whole run: the CLI's and the service's exclude each other. */
export const TEST_RESTORE_LOCK = 'logic_ha_test_restore';

/** A held GET_LOCK: released when its connection ends. */
export interface ScratchLock {
  release(): Promise<void>;
}

/** The scratch database's few SQL statements, behind an injectable so the service can be tested with a fake. */
@Injectable()
export class ScratchDatabases {
  /**
   * Makes the scratch database ready, empty and marked, refusing a live app database (by
   * server identity, not host string) and any existing database logic-ha did not create.
   * Answers the target with `unlogged` set when it sits on a live server.
   */
  async prepare(target: ScratchTarget): Promise<ScratchTarget> {
    const live = await Promise.all(target.liveServers.map((endpoint) => this.identify(endpoint)));
    return withConnection(target.endpoint, undefined, async (connection) => {
      const onLive = checkAgainstLive(target.endpoint, await serverIdentity(connection), live);
      const ready = { ...target, unlogged: target.unlogged || onLive };
      if (ready.unlogged) await connection.query(UNLOGGED_SESSION);
      await this.dropGuarded(connection, ready.endpoint.database);
      await createMarked(connection, ready.endpoint.database);
      return ready;
    });
  }

  /** Drops the scratch database if it is there and logic-ha made it (or it is empty). */
  async drop(target: ScratchTarget): Promise<void> {
    await withConnection(target.endpoint, undefined, async (connection) => {
      if (target.unlogged) await connection.query(UNLOGGED_SESSION);
      await this.dropGuarded(connection, target.endpoint.database);
    });
  }

  private async dropGuarded(connection: Parameters<typeof assertDroppable>[0], database: string): Promise<void> {
    if (await assertDroppable(connection, database))
      await connection.query(`DROP DATABASE IF EXISTS ${connection.escapeId(database)}`);
  }

  private async identify(endpoint: MysqlEndpoint): Promise<LiveServer> {
    const identity = await withConnection(endpoint, undefined, serverIdentity).catch(() => null);
    return { endpoint, identity };
  }

  /**
   * Takes TEST_RESTORE_LOCK on the scratch target's server, or answers null when another
   * session (another process's test restore) holds it. The lock lives as long as the connection.
   */
  async lock(target: ScratchTarget): Promise<ScratchLock | null> {
    const connection = await connectTo(target.endpoint, undefined);
    try {
      const [row] = await queryRows<{ got: number | null }>(connection, 'SELECT GET_LOCK(?, 0) AS got', [
        TEST_RESTORE_LOCK,
      ]);
      if (Number(row.got) === 1) return { release: () => connection.end().catch(() => connection.destroy()) };
    } catch (error) {
      connection.destroy();
      throw error;
    }
    connection.destroy();
    return null;
  }

  fingerprint(target: ScratchTarget): Promise<Record<string, TableFingerprint>> {
    return withConnection(target.endpoint, undefined, (connection) =>
      fingerprintDatabase(connection, target.endpoint.database),
    );
  }

  describe(target: ScratchTarget): string {
    return describeEndpoint(target.endpoint);
  }
}
