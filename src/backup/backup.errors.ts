import { DomainError, ErrorKind } from '../common/errors/domain-error';

export enum BackupErrorCode {
  AlreadyRunning = 'BACKUP_ALREADY_RUNNING',
  NotFound = 'BACKUP_NOT_FOUND',
  ChainBroken = 'BACKUP_CHAIN_BROKEN',
  NoFullBackup = 'BACKUP_NO_FULL_BACKUP',
  NotUsable = 'BACKUP_NOT_USABLE',
  Corrupt = 'BACKUP_CORRUPT',
  ToolFailed = 'BACKUP_TOOL_FAILED',
  TimedOut = 'BACKUP_TIMED_OUT',
  Interrupted = 'BACKUP_INTERRUPTED',
  PreChangeBackupFailed = 'PRE_CHANGE_BACKUP_FAILED',
  TargetNotEmpty = 'RESTORE_TARGET_NOT_EMPTY',
  TargetRefused = 'RESTORE_TARGET_REFUSED',
  TargetUnreachable = 'RESTORE_TARGET_UNREACHABLE',
  PointNotCovered = 'RESTORE_POINT_NOT_COVERED',
  RestoreRunning = 'RESTORE_ALREADY_RUNNING',
  RestoreNotFound = 'RESTORE_NOT_FOUND',
  /** The backup is encrypted with a master key this node does not have. */
  KeyMissing = 'BACKUP_KEY_MISSING',
  /** A key with the right id that does not unwrap the backup's data key. */
  KeyWrong = 'BACKUP_KEY_WRONG',
  /** BACKUP_ENCRYPTION is on and a file or manifest would have been written plain. */
  NotEncrypted = 'BACKUP_NOT_ENCRYPTED',
  TestRestoreUnsupported = 'TEST_RESTORE_UNSUPPORTED',
  TestRestoreRunning = 'TEST_RESTORE_ALREADY_RUNNING',
  TestRestoreNoFingerprint = 'TEST_RESTORE_NO_FINGERPRINT',
  TestRestoreNotFound = 'TEST_RESTORE_NOT_FOUND',
}

/** An incremental that cannot start where its parent ended; nothing is taken. */
export function chainBroken(reason: string): DomainError {
  return new DomainError(BackupErrorCode.ChainBroken, ErrorKind.Conflict, `incremental refused: ${reason}`);
}
