import type { BackupType } from './backup.types';

/**
 * Backup ids sort by time and say their type, as pgBackRest's do:
 * `20261127-020000-000F` (full) or `…I` (incremental), UTC.
 */
export const BACKUP_ID_PATTERN = /^\d{8}-\d{6}-\d{3}[FI]$/;

export function newBackupId(type: BackupType, at: Date): string {
  const iso = at.toISOString(); // 2026-11-27T02:00:00.000Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}-${iso.slice(20, 23)}`;
  return `${stamp}${type === 'full' ? 'F' : 'I'}`;
}

export function isBackupId(value: unknown): value is string {
  return typeof value === 'string' && BACKUP_ID_PATTERN.test(value);
}
