import { Injectable, Logger } from '@nestjs/common';
import {
  type BackupManifest,
  type BackupReader,
  ProgressTracker,
  createBackupReader,
  createRestoreService,
} from '../../backup';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { AppConfig } from '../../config/app-config';
import { FailoverErrorCode } from '../failover.errors';
import type { ServerAddress } from '../probes/server-probe';
import { type GtidHistory, reaches } from './gtid-set';
import { RejoinProbe } from './rejoin-probe';
import { type RebuildResult, ReplicaRebuilder } from './replica-rebuilder';

/** How many of the newest backups are looked at for a usable MariaDB chain. */
const SEARCHED_BACKUPS = 50;

const refused = (message: string) =>
  new DomainError(FailoverErrorCode.RejoinRefused, ErrorKind.Conflict, `reclone refused: ${message}`);

/**
 * Rebuilds from backup storage: the newest MariaDB backup whose end the primary holds (its
 * full and incrementals, so the newest point), restored into the server's app database with
 * the monitor's account, unlogged (sql_log_bin = 0: nothing of it becomes a GTID of this
 * server), after RESET MASTER dropped its old binlog. Only the app database is rebuilt: the
 * backups hold nothing else.
 */
@Injectable()
export class LogicalBackupRebuilder extends ReplicaRebuilder {
  readonly method = 'logical backup restore';
  private readonly logger = new Logger('Rejoin');
  private reader?: BackupReader;

  constructor(
    private readonly config: AppConfig,
    private readonly probe: RejoinProbe,
  ) {
    super();
  }

  async rebuild(server: ServerAddress, primaryHistory: GtidHistory, signal: AbortSignal): Promise<RebuildResult> {
    const account = this.config.monitorAccount;
    if (!account || !server.database) throw refused('DB_ADMIN_USER is not set');
    this.reader ??= createBackupReader(this.config);
    const chainEnd = await this.newestUsable(primaryHistory);
    const restores = createRestoreService(this.config, this.reader);
    await this.probe.resetForRebuild(server);
    const target = mysqlUrl(server, account);
    this.logger.warn({ msg: 'reclone: restoring the newest backup chain', server: server.key, backupId: chainEnd.id });
    const result = await restores.restore(
      { backupId: chainEnd.id, target, force: true, unlogged: true },
      new ProgressTracker(),
      signal,
    );
    return { position: endGtid(chainEnd), source: `backup chain ${result.chain.join(' + ')}` };
  }

  /** The newest MariaDB backup whose end position the primary holds (a backup of another history is no base). */
  private async newestUsable(primaryHistory: GtidHistory): Promise<BackupManifest> {
    const reader = this.reader!;
    const ids = (await reader.storage.listIds()).sort().reverse().slice(0, SEARCHED_BACKUPS);
    const skipped: string[] = [];
    for (const id of ids) {
      const manifest = await reader.manifest(id).catch(() => null);
      if (!manifest || manifest.engine !== 'mysql') continue;
      const gtid = endGtid(manifest);
      if (gtid && reaches(primaryHistory, gtid)) {
        await reader.chainOf(id); // a broken chain fails here, before the server is touched
        return manifest;
      }
      skipped.push(`${id} (ends at ${gtid || 'no GTID'})`);
    }
    throw refused(
      ids.length === 0
        ? `no backup in ${reader.storage.description}: take one of the primary first (POST /api/v1/backups)`
        : `no MariaDB backup ends at a position the primary holds${skipped.length ? `: ${skipped.slice(0, 3).join(', ')}` : ''}; take a full backup of the primary first`,
    );
  }
}

function endGtid(manifest: BackupManifest): string {
  return manifest.end.kind === 'mysql' ? manifest.end.gtid : '';
}

function mysqlUrl(server: ServerAddress, account: { user: string; password: string }): string {
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  return `mysql://${encodeURIComponent(account.user)}:${encodeURIComponent(account.password)}@${host}:${server.port}/${encodeURIComponent(server.database!)}`;
}
