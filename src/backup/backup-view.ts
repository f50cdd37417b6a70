import type { BackupState, BackupTrigger, BackupType, EngineName, Progress } from './backup.types';
import type { BackupRecordEntity } from './catalog/backup-record.entity';

/** A backup as the API shows it. */
export interface BackupView {
  id: string;
  type: BackupType;
  state: BackupState;
  parentId: string | null;
  tag: string | null;
  engine: EngineName;
  triggeredBy: BackupTrigger;
  startedAt: string;
  finishedAt: string | null;
  verifiedAt: string | null;
  sizeBytes: number;
  fileCount: number;
  error: { code: string | null; message: string } | null;
  /** Live while running, null otherwise. */
  progress: Progress | null;
  /** The newest test restore of this backup's chain (restored and compared with its fingerprints); null if none ran. */
  restoreCheck: RestoreCheckView | null;
}

export interface RestoreCheckView {
  outcome: 'restore-verified' | 'restore-failed';
  checkedAt: string;
  /** When a test restore last passed (may be older than a failed newest one). */
  verifiedAt: string | null;
  error: string | null;
  /** The per-table comparison of that run. */
  detail: unknown;
}

function restoreCheckOf(record: BackupRecordEntity): RestoreCheckView | null {
  if (!record.restoreCheckedAt) return null;
  return {
    outcome: record.restoreCheckError ? 'restore-failed' : 'restore-verified',
    checkedAt: record.restoreCheckedAt.toISOString(),
    verifiedAt: record.restoreVerifiedAt?.toISOString() ?? null,
    error: record.restoreCheckError ?? null,
    detail: record.restoreCheckDetail ? (JSON.parse(record.restoreCheckDetail) as unknown) : null,
  };
}

export function toBackupView(record: BackupRecordEntity, progress: Progress | null = null): BackupView {
  return {
    id: record.id,
    type: record.type,
    state: record.state,
    parentId: record.parentId,
    tag: record.tag,
    engine: record.engine,
    triggeredBy: record.triggeredBy,
    startedAt: record.startedAt.toISOString(),
    finishedAt: record.finishedAt?.toISOString() ?? null,
    verifiedAt: record.verifiedAt?.toISOString() ?? null,
    sizeBytes: record.sizeBytes,
    fileCount: record.fileCount,
    error: record.error === null ? null : { code: record.errorCode, message: record.error },
    progress,
    restoreCheck: restoreCheckOf(record),
  };
}
