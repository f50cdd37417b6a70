import type { BackupManifest } from '../backup/backup.types';

/** The backups `upgrade` and `rollback --to` take before they change the schema (PreChangeBackupService). */
export interface SchemaBackups {
  /** A full backup with this tag, in storage; throws when it did not succeed. */
  takeFull(tag: string): Promise<BackupManifest>;
  /** Enters the backup in the catalog when the catalog table exists; false when it does not. */
  register(manifest: BackupManifest): Promise<boolean>;
}
