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

const sameServer = (a: MysqlEndpoint, b: MysqlEndpoint) => a.host === b.host && a.port === b.port;

/**
 * Where a test restore goes, looked up per run so it follows a failover:
 * BACKUP_TEST_RESTORE_URL, or else `<db>_logic_ha_restore_check` on the current primary's
 * server through the backup account. On a server of the topology the restore stays out of
 * the binary log; the app's own database is never a scratch target.
 */
export function resolveScratchTarget(config: AppConfig, topology?: DatabaseTopology): ScratchTarget {
  const db = config.database;
  if (db.type !== 'mysql') throw unsupported(testRestoreUnsupportedReason(config)!);
  const primary = topology?.replicated ? topology.primaryEndpoint() : db.primary;
  const servers = [primary, db.primary, ...db.standbys];
  const configured = config.backup.testRestoreTarget;
  if (configured) {
    if (servers.some((s) => sameServer(s, configured) && s.database === configured.database)) {
      throw new DomainError(
        BackupErrorCode.TargetRefused,
        ErrorKind.Conflict,
        "BACKUP_TEST_RESTORE_URL names the service's own live database; a test restore drops its target",
        { details: { field: 'BACKUP_TEST_RESTORE_URL' } },
      );
    }
    return { endpoint: configured, unlogged: servers.some((s) => sameServer(s, configured)) };
  }
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
  };
}

export function unsupported(reason: string): DomainError {
  return new DomainError(BackupErrorCode.TestRestoreUnsupported, ErrorKind.Conflict, reason);
}
