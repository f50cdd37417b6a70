import { Injectable } from '@nestjs/common';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { EventBus } from '../common/events/event-bus';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { SchemaStatusService } from '../database/schema-status.service';
import { BackupErrorCode } from './backup.errors';
import { BackupLock } from './backup-lock';
import { BackupMaintenanceService, RebuildReport } from './backup-maintenance.service';
import { BackupReader } from './backup-reader';
import { BackupService } from './backup.service';
import type { BackupManifest } from './backup.types';
import { BackupCatalogService } from './catalog/backup-catalog.service';
import { DetachedBackupCatalog } from './catalog/detached-backup-catalog';
import { BackupEngine } from './engines/backup-engine';
import { BackupStorage } from './storage/backup-storage';

/**
 * The backups `upgrade` and `rollback --to` take before they change the schema. A database
 * adopted from logic-solution has no catalog table until the upgrade creates it, yet its
 * backup must come first: it is taken by the same BackupService with the catalog kept in
 * memory (its manifest in storage is the truth), and entered in the catalog when the
 * table exists. No retention runs after it.
 */
@Injectable()
export class PreChangeBackupService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly events: EventBus,
    private readonly catalog: BackupCatalogService,
    private readonly storage: BackupStorage,
    private readonly reader: BackupReader,
    private readonly engine: BackupEngine,
    private readonly lock: BackupLock,
    private readonly schema: SchemaStatusService,
    private readonly maintenance: BackupMaintenanceService,
  ) {}

  /** A full backup with this tag, in storage; throws when it did not succeed. */
  async takeFull(tag: string): Promise<BackupManifest> {
    const detached = new DetachedBackupCatalog();
    const backups = new BackupService(
      this.config,
      this.clock,
      this.events,
      detached,
      this.storage,
      this.reader,
      this.engine,
      this.lock,
      this.schema,
      this.maintenance,
    );
    const started = await backups.start({ type: 'full', triggeredBy: 'upgrade', tag, applyRetention: false });
    await backups.waitFor(started.id);
    const record = await detached.find(started.id);
    if (record?.state !== 'succeeded') {
      const why = record
        ? `${record.errorCode ?? 'error'}: ${record.error ?? 'no detail recorded'}`
        : 'it left no record';
      throw new DomainError(
        BackupErrorCode.PreChangeBackupFailed,
        ErrorKind.Unavailable,
        `backup ${started.id} (${tag}) to ${this.storage.description} failed (${why}); nothing was changed`,
      );
    }
    return this.reader.manifest(started.id);
  }

  async catalogExists(): Promise<boolean> {
    return this.catalog.tableExists();
  }

  /** `backup catalog rebuild`, for an upgrade that recreated the catalog table. */
  async rebuildCatalog(): Promise<RebuildReport> {
    return this.maintenance.rebuildCatalog();
  }

  /** Enters the backup in the catalog when the catalog table exists; false when it does not (yet, or any more). */
  async register(manifest: BackupManifest): Promise<boolean> {
    if (!(await this.catalog.tableExists())) return false;
    await this.catalog.upsertFromManifest(manifest, 'upgrade');
    return true;
  }
}
