/**
 * The backup feature's public face: what other features and the CLI may use. Everything
 * else in this folder is its own business (the lint boundary rule holds everyone to it).
 */
export { BackupModule } from './backup.module';
export { BackupRecordEntity } from './catalog/backup-record.entity';
export { BackupService } from './backup.service';
export { BackupCatalogService } from './catalog/backup-catalog.service';
export { BackupIndicator } from './backup.indicator';
export { BackupStatus, type BackupStatusSummary } from './backup-status';
export { BackupMaintenanceService } from './backup-maintenance.service';
export type { RebuildReport } from './backup-maintenance.service';
export { BackupReader } from './backup-reader';
export { BackupLock } from './backup-lock';
export { PreChangeBackupService } from './pre-change-backup.service';
export { verifyChain } from './backup-verify.service';
export { describePlan } from './restore.service';
export { ProgressTracker } from './progress';
export { createBackupReader, createBackupStorage, createRestoreService } from './backup-tools';
export { rekeyBackups } from './backup-rekey';
export type { RekeyReport } from './backup-rekey';
export { toBackupView } from './backup-view';
export { TestRestoreService } from './test-restore/test-restore.service';
export type { TestRestoreReport } from './test-restore/test-restore.service';
export { BackupErrorCode } from './backup.errors';
export { isBackupId } from './backup-id';
export { BACKUP_STATES, BACKUP_TYPES } from './backup.types';
export type { BackupManifest, BackupState, BackupType, Progress } from './backup.types';
