import { BACKUP_TYPES, type BackupType } from './backup.types';
import type { BackupSummaryRow } from './catalog/backup-catalog.service';

/** Per backup type; a type without a backup has no entry (its gauges have no sample). */
export interface BackupTypeFigures {
  sinceLastCompletionSeconds?: number;
  sinceLastVerifiedSeconds?: number;
  sinceLastRestoreVerifiedSeconds?: number;
  lastSizeBytes?: number;
  lastDurationSeconds?: number;
}

export interface PitrWindow {
  /** From the chain's full backup's end (the earliest point a restore of it reaches) to its newest backup's end. */
  seconds: number;
  /** How old the newest point a restore reaches is. */
  endAgeSeconds: number;
  /** The earliest and the newest point a restore reaches. */
  from: Date;
  to: Date;
}

export interface BackupFigures {
  byType: Partial<Record<BackupType, BackupTypeFigures>>;
  /** undefined: no succeeded backup whose chain is whole. */
  pitr?: PitrWindow;
}

const seconds = (from: Date, to: Date) => (to.getTime() - from.getTime()) / 1000;

/**
 * What the backup gauges show, from the succeeded rows newest first. Ages are of the backup
 * (when it finished: how much would be lost), as in BackupStatus; "verified" is the newest
 * backup whose files were checked, "restore-verified" the newest whose last test restore
 * matched every table.
 */
export function backupFigures(rows: BackupSummaryRow[], now: Date): BackupFigures {
  const byType: BackupFigures['byType'] = {};
  for (const type of BACKUP_TYPES) {
    const ofType = rows.filter((row) => row.type === type && row.finishedAt);
    const newest = ofType[0];
    if (!newest) continue;
    const verified = ofType.find((row) => row.verifiedAt);
    const restoreVerified = ofType.find((row) => row.restoreVerifiedAt && !row.restoreCheckError);
    byType[type] = {
      sinceLastCompletionSeconds: seconds(newest.finishedAt!, now),
      sinceLastVerifiedSeconds: verified && seconds(verified.finishedAt!, now),
      sinceLastRestoreVerifiedSeconds: restoreVerified && seconds(restoreVerified.finishedAt!, now),
      lastSizeBytes: newest.sizeBytes,
      lastDurationSeconds: seconds(newest.startedAt, newest.finishedAt!),
    };
  }
  return { byType, pitr: pitrWindow(rows, now) };
}

/**
 * The continuous span a point-in-time restore reaches, ending at the newest reachable point:
 * the newest succeeded backup whose chain (parent links down to a full) is whole, from its
 * full's end (planRestore refuses earlier times: they need an older chain) to its own end.
 * A broken link (a parent failed, expired or missing) makes that backup unreachable, and
 * the next older one is tried.
 */
export function pitrWindow(rows: BackupSummaryRow[], now: Date): PitrWindow | undefined {
  const byId = new Map(rows.map((row) => [row.id, row]));
  for (const end of rows) {
    if (!end.finishedAt) continue;
    const full = fullOf(end, byId);
    if (!full?.finishedAt) continue;
    return {
      seconds: seconds(full.finishedAt, end.finishedAt),
      endAgeSeconds: seconds(end.finishedAt, now),
      from: full.finishedAt,
      to: end.finishedAt,
    };
  }
  return undefined;
}

function fullOf(row: BackupSummaryRow, byId: Map<string, BackupSummaryRow>): BackupSummaryRow | undefined {
  let current: BackupSummaryRow | undefined = row;
  // Bounded by the row count: a corrupt catalog with a parent cycle cannot loop forever.
  for (let hops = 0; current && hops <= byId.size; hops++) {
    if (current.type === 'full') return current;
    current = current.parentId ? byId.get(current.parentId) : undefined;
  }
  return undefined;
}
