import { Injectable } from '@nestjs/common';
import type { TableFingerprint } from '../backup.types';
import { type MysqlEndpoint, describeEndpoint } from '../../config/mysql-url';
import { UNLOGGED_SESSION } from '../engines/mysql/mysql-restore.engine';
import { withConnection } from '../engines/mysql/mysql-client';
import { fingerprintDatabase, quoteIdentifier } from '../verification/table-fingerprint';

/** Where a test restore goes, and whether its writes must stay out of that server's binlog. */
export interface ScratchTarget {
  endpoint: MysqlEndpoint;
  /** True on the primary's own server: nothing of the scratch database may reach a replica. */
  unlogged: boolean;
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

/** The scratch database's few SQL statements, behind an injectable so the service can be tested with a fake. */
@Injectable()
export class ScratchDatabases {
  /** Drops the scratch database if it is there (a killed run's leftover, or this run's). */
  async drop(target: ScratchTarget): Promise<void> {
    await withConnection(target.endpoint, undefined, async (connection) => {
      if (target.unlogged) await connection.query(UNLOGGED_SESSION);
      await connection.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(target.endpoint.database)}`);
    });
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
