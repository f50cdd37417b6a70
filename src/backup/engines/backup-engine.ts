import type { BackupManifest, BackupVerification, ChainPosition, EngineName, ManifestFile } from '../backup.types';
import type { ProgressTracker } from '../progress';
import type { FileSeal } from '../crypto/file-seal';
import type { KeyRing } from '../crypto/key-ring';
import type { BackupStorage } from '../storage/backup-storage';
import type { StoreOptions } from '../streams/store-file';

export interface EngineContext {
  backupId: string;
  storage: BackupStorage;
  compressionLevel: number;
  signal: AbortSignal;
  progress: ProgressTracker;
  /** Scratch space for this run, removed afterwards. */
  tempDir: string;
  /** This backup's data key when BACKUP_ENCRYPTION is on; every stored file goes through it. */
  seal?: FileSeal | null;
  /** To read a parent's (possibly encrypted) files; none: plain parents only. */
  keys?: KeyRing;
}

/** How an engine stores a file: the run's compression, cancellation and progress. */
export function storeOptionsOf(context: EngineContext): StoreOptions {
  return {
    compressionLevel: context.compressionLevel,
    signal: context.signal,
    onBytes: context.progress.addBytes,
    seal: context.seal,
  };
}

export interface EngineResult {
  files: ManifestFile[];
  start: ChainPosition | null;
  end: ChainPosition;
  serverVersion: string;
  sourceDatabase: string | null;
  /** Table fingerprints at a point the chain restores to exactly; absent when none could be taken. */
  verification?: BackupVerification;
}

/**
 * Takes backups of one kind of database. An incremental starts exactly at its parent's
 * end; when it cannot (purged logs, another server's history), the engine throws a
 * BACKUP_CHAIN_BROKEN DomainError and takes nothing.
 */
export abstract class BackupEngine {
  abstract readonly name: EngineName;

  abstract full(context: EngineContext): Promise<EngineResult>;

  abstract incremental(context: EngineContext, parent: BackupManifest): Promise<EngineResult>;
}
