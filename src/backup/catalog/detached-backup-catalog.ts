import type { BackupManifest } from '../backup.types';
import { BackupCatalogService, type NewBackupRecord } from './backup-catalog.service';
import type { BackupRecordEntity } from './backup-record.entity';

/**
 * The catalog of one backup, in memory. A database adopted from logic-solution has no
 * catalog table until the upgrade creates it, yet its pre-upgrade backup must come first:
 * the backup lives in storage (its manifest is the truth) and is entered in the catalog
 * once the table exists. Only the calls a full backup makes are supported.
 */
export class DetachedBackupCatalog extends BackupCatalogService {
  private readonly rows = new Map<string, BackupRecordEntity>();

  constructor() {
    super(null as never);
  }

  override async insertRunning(record: NewBackupRecord): Promise<void> {
    this.rows.set(record.id, {
      ...record,
      state: 'running',
      finishedAt: null,
      verifiedAt: null,
      sizeBytes: 0,
      fileCount: 0,
      errorCode: null,
      error: null,
      manifest: null,
      restoreCheckedAt: null,
      restoreVerifiedAt: null,
      restoreCheckError: null,
      restoreCheckDetail: null,
    });
  }

  override async markSucceeded(manifest: BackupManifest): Promise<void> {
    const row = this.rows.get(manifest.id);
    if (row) this.rows.set(manifest.id, { ...row, state: 'succeeded', finishedAt: new Date(manifest.finishedAt) });
  }

  override async markFailed(id: string, code: string, message: string, finishedAt: Date): Promise<void> {
    const row = this.rows.get(id);
    if (row) this.rows.set(id, { ...row, state: 'failed', errorCode: code, error: message, finishedAt });
  }

  override async find(id: string): Promise<BackupRecordEntity | null> {
    return this.rows.get(id) ?? null;
  }
}
