import type { RebuildReport, BackupManifest } from '../backup';

/** The backups `upgrade` and `rollback --to` take before they change the schema (PreChangeBackupService). */
export interface SchemaBackups {
  /** A full backup with this tag, in storage; throws when it did not succeed. */
  takeFull(tag: string): Promise<BackupManifest>;
  /** Enters the backup in the catalog when the catalog table exists; false when it does not. */
  register(manifest: BackupManifest): Promise<boolean>;
}

/** The catalog table as an upgrade sees it: a rollback below ha-2 drops it, the upgrade back recreates it empty. */
export interface CatalogTable {
  exists(): Promise<boolean>;
  /** `backup catalog rebuild`: every backup in storage entered again. */
  rebuild(): Promise<RebuildReport>;
}
