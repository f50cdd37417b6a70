import { DomainError } from '../common/errors/domain-error';
import { isStorageFull, storageFull, storageFullPath } from '../common/errors/storage-full';
import { BackupErrorCode } from './backup.errors';
import { ProcessFailedError } from './process/process-runner';

export class BackupTimeoutError extends Error {
  constructor(seconds: number) {
    super(`the backup ran longer than BACKUP_TIMEOUT_S (${seconds} s) and was stopped`);
  }
}

/** A failure as the catalog and the events record it: a stable code and a reason for people. */
export function describeFailure(
  error: unknown,
  signal: AbortSignal,
  storage?: string,
): { code: string; reason: string } {
  if (signal.aborted && signal.reason instanceof BackupTimeoutError)
    return { code: BackupErrorCode.TimedOut, reason: signal.reason.message };
  if (error instanceof DomainError) return { code: error.code, reason: error.message };
  // Same code and wording as the API's 507: the file when Node names it (it may be the
  // temp copy in DATA_DIR/tmp), else the backup storage.
  if (isStorageFull(error)) {
    const described = storageFull(storageFullPath(error) ?? storage, error);
    return { code: described.code, reason: described.message };
  }
  if (error instanceof ProcessFailedError) return { code: BackupErrorCode.ToolFailed, reason: error.message };
  return { code: 'BACKUP_FAILED', reason: error instanceof Error ? error.message : String(error) };
}
