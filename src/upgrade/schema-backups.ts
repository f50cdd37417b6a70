import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BackupLock } from '../backup/backup-lock';
import { BackupMaintenanceService } from '../backup/backup-maintenance.service';
import { BackupReader } from '../backup/backup-reader';
import { BackupService } from '../backup/backup.service';
import type { BackupManifest } from '../backup/backup.types';
import { BackupCatalogService } from '../backup/catalog/backup-catalog.service';
import { BackupEngine } from '../backup/engines/backup-engine';
import { BackupStorage } from '../backup/storage/backup-storage';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { EventBus } from '../common/events/event-bus';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { SchemaStatusService } from '../database/schema-status.service';
import { DetachedBackupCatalog } from './detached-backup-catalog';
import { UpgradeErrorCode } from './upgrade-errors';

const CATALOG_TABLE = 'logic_ha_backup';

/** The backups `upgrade` and `rollback --to` take before they change the schema. */
export interface SchemaBackups {
  /** A full backup with this tag, in storage; throws when it did not succeed. */
  takeFull(tag: string): Promise<BackupManifest>;
  /** Enters the backup in the catalog when the catalog table exists; false when it does not (yet). */
  register(manifest: BackupManifest): Promise<boolean>;
}

/** The service's own backup machinery, with the catalog kept in memory until the table exists. */
export function schemaBackupsOf(app: INestApplicationContext): SchemaBackups {
  const reader = app.get(BackupReader);
  return {
    async takeFull(tag) {
      const catalog = new DetachedBackupCatalog();
      const backups = new BackupService(
        app.get(AppConfig), app.get(Clock), app.get(EventBus), catalog, app.get(BackupStorage), reader,
        app.get(BackupEngine), app.get(BackupLock), app.get(SchemaStatusService), app.get(BackupMaintenanceService),
      );
      const started = await backups.start({ type: 'full', triggeredBy: 'upgrade', tag, applyRetention: false });
      await backups.waitFor(started.id);
      const record = await catalog.find(started.id);
      if (record?.state !== 'succeeded') {
        const why = record ? `${record.errorCode ?? 'error'}: ${record.error ?? 'no detail recorded'}` : 'it left no record';
        throw new DomainError(UpgradeErrorCode.BackupFailed, ErrorKind.Unavailable, `backup ${started.id} (${tag}) to ${app.get(BackupStorage).description} failed (${why}); nothing was changed`);
      }
      return reader.manifest(started.id);
    },
    async register(manifest) {
      const runner = app.get(DataSource).createQueryRunner();
      const exists = await runner.hasTable(CATALOG_TABLE).finally(() => runner.release());
      if (!exists) return false;
      await app.get(BackupCatalogService).upsertFromManifest(manifest, 'upgrade');
      return true;
    },
  };
}
