/** Stable codes of upgrade and rollback failures. */
export enum UpgradeErrorCode {
  BackupFailed = 'PRE_CHANGE_BACKUP_FAILED',
  NoPreUpgradeBackup = 'NO_PRE_UPGRADE_BACKUP',
  NotConfirmed = 'NOT_CONFIRMED',
}
