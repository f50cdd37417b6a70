import type { BackupManifest, EngineName } from '../backup.types';
import type { ProgressTracker } from '../progress';
import type { FileSeal } from '../crypto/file-seal';
import type { BackupStorage } from '../storage/backup-storage';

export type RestorePoint = { kind: 'latest' } | { kind: 'time'; at: Date } | { kind: 'gtid'; gtid: string };

export interface RestoreContext {
  storage: BackupStorage;
  /** Full first, then its incrementals in order; every file already verified. */
  chain: BackupManifest[];
  point: RestorePoint;
  /** A mysql:// URL or a SQLite file path, as the engine understands it. */
  target: string;
  /** Replace a non-empty target. */
  force: boolean;
  /**
   * Keep the restore out of the target server's binary log (MariaDB: sql_log_bin = 0, which
   * needs BINLOG ADMIN): a scratch database on a primary must not reach its replicas.
   */
  unlogged?: boolean;
  signal: AbortSignal;
  progress: ProgressTracker;
  tempDir: string;
  /** Data keys of the chain's encrypted backups, by backup id (unwrapped during the verify pass). */
  seals?: ReadonlyMap<string, FileSeal | null>;
}

/** The data key of one backup of the chain, or null when it is plain. */
export function sealOf(context: RestoreContext, backupId: string): FileSeal | null {
  return context.seals?.get(backupId) ?? null;
}

export interface RestoreOutcome {
  /** Rows per table in the restored database. */
  rowCounts: Record<string, number>;
}

/** Restores a chain of one engine's backups. Needs storage only: it works with the source database gone. */
export abstract class RestoreEngine {
  abstract readonly name: EngineName;

  /** Throws RESTORE_TARGET_* errors before anything is written. */
  abstract checkTarget(target: string, force: boolean): Promise<void>;

  abstract restore(context: RestoreContext): Promise<RestoreOutcome>;
}
