import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { AppConfig } from '../../config/app-config';
import {
  type RebuildPlan,
  type RebuildResult,
  type RebuildTarget,
  ReplicaRebuilder,
} from '../../database/replication/replica-rebuilder';
import { BackupReader } from '../backup-reader';
import { BackupErrorCode } from '../backup.errors';
import type { BackupManifest } from '../backup.types';
import { ProgressTracker } from '../progress';
import { RestoreService } from '../restore.service';

/** How many of the newest backups are looked at for a usable MariaDB chain. */
const SEARCHED_BACKUPS = 50;

const refused = (code: BackupErrorCode, message: string) =>
  new DomainError(code, ErrorKind.Conflict, `reclone refused: ${message}`);

/**
 * Rebuilds from backup storage: the newest MariaDB backup whose end the primary holds (its
 * full and incrementals, so the newest point), restored into the server's app database with
 * the monitor's account, unlogged (sql_log_bin = 0: nothing of it becomes a GTID of this
 * server). The caller has reset the server (RESET MASTER dropped its old binlog) between
 * plan and rebuild. Only the app database is rebuilt: the backups hold nothing else.
 */
@Injectable()
export class LogicalBackupRebuilder extends ReplicaRebuilder {
  readonly method = 'logical backup restore';
  private readonly logger = new Logger('Rejoin');

  constructor(
    private readonly config: AppConfig,
    private readonly reader: BackupReader,
    private readonly restores: RestoreService,
  ) {
    super();
  }

  /** The newest MariaDB backup whose end position the primary holds (a backup of another history is no base). */
  async plan(server: RebuildTarget, primaryHolds: (gtid: string) => boolean): Promise<RebuildPlan> {
    this.target(server);
    const ids = (await this.reader.storage.listIds()).sort().reverse().slice(0, SEARCHED_BACKUPS);
    const skipped: string[] = [];
    for (const id of ids) {
      const manifest = await this.reader.manifest(id).catch(() => null);
      if (!manifest || manifest.engine !== 'mysql') continue;
      const gtid = endGtid(manifest);
      if (gtid && primaryHolds(gtid)) {
        await this.reader.chainOf(id); // a broken chain fails here, before the server is touched
        return { ref: id, position: gtid };
      }
      skipped.push(`${id} (ends at ${gtid || 'no GTID'})`);
    }
    throw refused(
      BackupErrorCode.NotUsable,
      ids.length === 0
        ? `no backup in ${this.reader.storage.description}: take one of the primary first (POST /api/v1/backups)`
        : `no MariaDB backup ends at a position the primary holds${skipped.length ? `: ${skipped.slice(0, 3).join(', ')}` : ''}; take a full backup of the primary first`,
    );
  }

  async rebuild(server: RebuildTarget, plan: RebuildPlan, signal: AbortSignal): Promise<RebuildResult> {
    const target = this.target(server);
    this.logger.warn({ msg: 'reclone: restoring the newest backup chain', server: server.key, backupId: plan.ref });
    const result = await this.restores.restore(
      { backupId: plan.ref, target, force: true, unlogged: true },
      new ProgressTracker(),
      signal,
    );
    return { position: plan.position, source: `backup chain ${result.chain.join(' + ')}` };
  }

  /** The restore's mysql:// URL: the server's app database, through the monitor's account. */
  private target(server: RebuildTarget): string {
    const account = this.config.monitorAccount;
    if (!account) throw refused(BackupErrorCode.TargetRefused, 'DB_ADMIN_USER is not set');
    if (!server.database) throw refused(BackupErrorCode.TargetRefused, `no app database known on ${server.key}`);
    const host = server.host.includes(':') ? `[${server.host}]` : server.host;
    const user = encodeURIComponent(account.user);
    const password = encodeURIComponent(account.password);
    return `mysql://${user}:${password}@${host}:${server.port}/${encodeURIComponent(server.database)}`;
  }
}

function endGtid(manifest: BackupManifest): string {
  return manifest.end.kind === 'mysql' ? manifest.end.gtid : '';
}
