/** Stable codes of upgrade and rollback failures. */
export enum UpgradeErrorCode {
  NoPreUpgradeBackup = 'NO_PRE_UPGRADE_BACKUP',
}
