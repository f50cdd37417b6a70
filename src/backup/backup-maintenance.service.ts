import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { BackupErrorCode } from './backup.errors';
import { checkBackupFiles, fileProblems } from './streams/read-file';
import { BackupLock } from './backup-lock';
import { BackupReader } from './backup-reader';
import { sealOrKeyProblem } from './backup-verify.service';
import { BackupCatalogService } from './catalog/backup-catalog.service';
import { RetentionPlan, planRetention } from './retention';
import { BackupStorage } from './storage/backup-storage';

export interface ExpireReport extends RetentionPlan {
  dryRun: boolean;
}

export interface RebuildReport {
  inserted: string[];
  updated: string[];
  /** Folders without a manifest: unfinished backups, never usable. */
  incomplete: string[];
  /** Backups whose files do not match their manifest: recorded as failed. */
  corrupt: string[];
  /** Catalog rows whose backup is not in storage any more; now marked expired. */
  missing: string[];
  /** Encrypted with a key this node does not have (or a wrong one): listed, files checked by sha256 only. */
  keyProblems: { id: string; problem: string }[];
}

/** Retention and catalog rebuild: the jobs that keep catalog and storage in step. */
@Injectable()
export class BackupMaintenanceService {
  private readonly logger = new Logger('Backup');

  constructor(
    private readonly config: AppConfig,
    private readonly catalog: BackupCatalogService,
    private readonly storage: BackupStorage,
    private readonly reader: BackupReader,
    private readonly clock: Clock,
    private readonly lock: BackupLock,
  ) {}

  /**
   * Running backups are never in the plan: only succeeded rows expire. Removing holds the
   * backup lock, so a rekey never rewrites a manifest into a folder being removed.
   */
  async expire(dryRun: boolean): Promise<ExpireReport> {
    if (dryRun) return { dryRun, ...planRetention(await this.catalog.all(), this.config.backup.retainFull) };
    return this.lock.hold('retention', () => this.removeExpired(), true);
  }

  private async removeExpired(): Promise<ExpireReport> {
    const plan = planRetention(await this.catalog.all(), this.config.backup.retainFull);
    for (const { id, reason } of plan.expire) {
      await this.storage.remove(id);
      await this.catalog.markExpired([id]);
      this.logger.log({ msg: 'backup expired', id, reason });
    }
    return { dryRun: false, ...plan };
  }

  /** Recreates the catalog from storage alone: every manifest found becomes a row, its files re-read. */
  async rebuildCatalog(): Promise<RebuildReport> {
    const report: RebuildReport = {
      inserted: [],
      updated: [],
      incomplete: [],
      corrupt: [],
      missing: [],
      keyProblems: [],
    };
    const stored = new Set(await this.storage.listIds());
    for (const id of stored) {
      const manifest = await this.reader.manifest(id).catch(() => null);
      if (!manifest) {
        report.incomplete.push(id);
        continue;
      }
      const outcome = await this.catalog.upsertFromManifest(manifest, manifest.triggeredBy ?? 'manual');
      report[outcome].push(id);
      const { seal, keyProblem } = sealOrKeyProblem(this.reader, manifest);
      // A missing key is not damage: the backup stays listed, and verify names the key.
      if (keyProblem) report.keyProblems.push({ id, problem: keyProblem });
      // A rebuilt catalog must not list a damaged backup as usable, so every file is re-read:
      // decrypted when the key is here, checked by size and sha256 against the manifest when not.
      const damaged = fileProblems(await checkBackupFiles(this.storage, manifest, undefined, seal));
      if (damaged.length > 0) {
        report.corrupt.push(id);
        await this.catalog.markFailed(
          id,
          BackupErrorCode.Corrupt,
          `found damaged by catalog rebuild: ${damaged.join('; ')}`,
          this.clock.now(),
        );
      }
    }
    for (const row of await this.catalog.all()) {
      if (row.state === 'succeeded' && !stored.has(row.id)) report.missing.push(row.id);
    }
    await this.catalog.markExpired(report.missing);
    this.logger.log({
      msg: 'backup catalog rebuilt',
      inserted: report.inserted.length,
      updated: report.updated.length,
      incomplete: report.incomplete.length,
      missing: report.missing.length,
    });
    return report;
  }
}
