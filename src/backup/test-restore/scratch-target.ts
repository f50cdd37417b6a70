import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import type { AppConfig } from '../../config/app-config';
import type { MysqlEndpoint } from '../../config/mysql-url';
import type { DatabaseTopology } from '../../database/topology/database-topology';
import { BackupErrorCode } from '../backup.errors';
import { type ScratchTarget, scratchDatabaseName } from './scratch-database';

/** Why a node cannot test-restore, or null when it can. */
export function testRestoreUnsupportedReason(config: AppConfig): string | null {
  return config.database.type === 'sqlite'
    ? 'test restores need a MariaDB/MySQL database; this node runs on SQLite (DB_TYPE=sqlite)'
    : null;
}

const sameEndpoint = (a: MysqlEndpoint, b: MysqlEndpoint) =>
  a.host === b.host && a.port === b.port && a.database === b.database;

/**
 * Where a test restore goes, looked up per run so it follows a failover:
 * BACKUP_TEST_RESTORE_URL, or else `<db>_logic_ha_restore_check` on the current primary's
 * server through the backup account. Whether a configured URL is on a server of the topology
 * (and must stay out of its binlog, and never be its app database) is asked of the servers
 * themselves by ScratchDatabases.prepare(): host strings cannot tell aliases apart.
 */
export function resolveScratchTarget(config: AppConfig, topology?: DatabaseTopology): ScratchTarget {
  const db = config.database;
  if (db.type !== 'mysql') throw unsupported(testRestoreUnsupportedReason(config)!);
  const primary = topology?.replicated ? topology.primaryEndpoint() : db.primary;
  const liveServers = [primary, db.primary, ...db.standbys].filter(
    (server, i, all) => all.findIndex((other) => sameEndpoint(other, server)) === i,
  );
  const configured = config.backup.testRestoreTarget;
  if (configured) return { endpoint: configured, unlogged: false, liveServers };
  const admin = config.monitorAccount;
  const scratch = scratchDatabaseName(primary.database);
  // A 64-character app name already ending in the suffix truncates to itself: never drop that.
  if (scratch === primary.database)
    throw new DomainError(
      BackupErrorCode.TargetRefused,
      ErrorKind.Conflict,
      `the scratch database name would be the app database ${primary.database} itself: set BACKUP_TEST_RESTORE_URL`,
      { details: { field: 'BACKUP_TEST_RESTORE_URL' } },
    );
  return {
    endpoint: {
      ...primary,
      ...(admin ? { user: admin.user, password: admin.password } : {}),
      database: scratch,
    },
    unlogged: true,
    liveServers,
  };
}

export function unsupported(reason: string): DomainError {
  return new DomainError(BackupErrorCode.TestRestoreUnsupported, ErrorKind.Conflict, reason);
}
