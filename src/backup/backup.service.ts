import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { EventBus, OnAppEvent } from '../common/events/event-bus';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { SchemaStatusService } from '../database/schema-status.service';
import { BackupErrorCode } from './backup.errors';
import { BackupManifest, BackupTrigger, BackupType, Progress } from './backup.types';
import { newBackupId } from './backup-id';
import { BackupLock } from './backup-lock';
import { BackupMaintenanceService } from './backup-maintenance.service';
import { BackupReader } from './backup-reader';
import { BackupTimeoutError, describeFailure } from './backup-failure';
import { BackupView, toBackupView } from './backup-view';
import { BackupCatalogService } from './catalog/backup-catalog.service';
import { storeConfigsArchive } from './configs-archive';
import { EncryptedOnlyStorage } from './crypto/encrypted-only.storage';
import { assertEncryptedAsConfigured } from './crypto/encryption-guard';
import type { FileSeal } from './crypto/file-seal';
import type { KeyRing } from './crypto/key-ring';
import { BackupEngine } from './engines/backup-engine';
import { assembleManifest, serialiseManifest } from './manifest';
import { ProgressTracker } from './progress';
import { BackupStorage } from './storage/backup-storage';
import { BACKUP_FOLDER_MODE } from './storage/local-backup.storage';

interface RunningBackup {
  id: string;
  type: BackupType;
  triggeredBy: BackupTrigger;
  progress: ProgressTracker;
  controller: AbortController;
  done: Promise<void>;
}

export interface StartRequest {
  type: BackupType;
  triggeredBy: BackupTrigger;
  tag?: string | null;
  /** Default true. A pre-upgrade backup leaves retention to the next scheduled full. */
  applyRetention?: boolean;
}

/**
 * Takes backups: one at a time (in this process and, through BackupLock, across
 * processes), each bounded by BACKUP_TIMEOUT_S, recorded in the catalog as running before
 * any byte is written, and usable only once its manifest is in storage.
 */
@Injectable()
export class BackupService {
  private readonly logger = new Logger('Backup');
  private running: RunningBackup | null = null;
  /** The newest job this process started, kept after it ends so waitFor can await its retention. */
  private newestJob: RunningBackup | null = null;
  /** When the database primary last changed (failover or switchover) in this process's life. */
  private primaryChangedAt: Date | null = null;

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

  /** The master keys (the reader's, so what is written can be read back by the same node). */
  private get keys(): KeyRing {
    return this.reader.keys;
  }

  get runningId(): string | null {
    return this.running?.id ?? null;
  }

  /** Starts a backup and returns at once; the work goes on in the background. */
  async start(request: StartRequest): Promise<BackupView> {
    this.refuseWhileRunning();
    const parent = request.type === 'incremental' ? await this.parentForIncremental() : null;
    const job = { controller: new AbortController(), progress: new ProgressTracker() };
    const release = await this.lock.tryAcquire((error) => job.controller.abort(error));
    if (!release)
      throw alreadyRunning(
        this.lock.holder
          ? `this process holds the backup lock for ${this.lock.holder}`
          : 'another logic-ha process is taking a backup (or applying retention, or re-keying) on this storage',
        null,
      );
    try {
      this.refuseWhileRunning();
      const id = await this.freshId(request.type);
      await this.catalog.insertRunning({
        id,
        type: request.type,
        parentId: parent?.id ?? null,
        tag: request.tag ?? null,
        engine: this.engine.name,
        triggeredBy: request.triggeredBy,
        startedAt: this.clock.now(),
      });
      const running: RunningBackup = {
        id,
        type: request.type,
        triggeredBy: request.triggeredBy,
        ...job,
        done: Promise.resolve(),
      };
      this.running = running;
      this.events.emit('backup.started', { id, type: request.type, triggeredBy: request.triggeredBy });
      this.logger.log({
        msg: 'backup started',
        id,
        type: request.type,
        parentId: parent?.id ?? null,
        triggeredBy: request.triggeredBy,
      });
      this.newestJob = running;
      running.done = this.execute(running, parent, request.tag ?? null)
        .finally(async () => {
          this.running = null;
          await release().catch(() => undefined);
        })
        .then((fullSucceeded) =>
          fullSucceeded && request.applyRetention !== false ? this.applyRetention() : undefined,
        );
      return (await this.view(id))!;
    } catch (error) {
      await release().catch(() => undefined);
      throw error;
    }
  }

  /** Resolves when the backup `id` (if this process ran it) has finished, retention included, whatever the outcome. */
  async waitFor(id: string): Promise<void> {
    if (this.newestJob?.id === id) await this.newestJob.done;
  }

  async view(id: string): Promise<BackupView | null> {
    const record = await this.catalog.find(id);
    if (!record) return null;
    return toBackupView(record, this.running?.id === id ? this.running.progress.snapshot() : null);
  }

  /** Live progress of the backup `id` while this process runs it; null otherwise. */
  progressOf(id: string): Progress | null {
    return this.running?.id === id ? this.running.progress.snapshot() : null;
  }

  /** Stops a running backup (shutdown); it is recorded as failed. */

  async abortRunning(reason: Error): Promise<void> {
    const running = this.running;
    if (!running) return;
    running.controller.abort(reason);
    await running.done;
  }

  /**
   * A new primary starts a new chain: its binlog is not the one the last backup read, so
   * the next scheduled incremental is taken as a full (as backup tools do after a promotion).
   */
  @OnAppEvent('db.primary-changed')
  onPrimaryChanged(event: { at: Date }): void {
    this.primaryChangedAt = event.at;
  }

  /** True when the next scheduled incremental must be a full: no usable chain, or the last incremental was refused. */
  async needsFull(): Promise<boolean> {
    const newest = await this.catalog.newest();
    if (this.primaryChangedAt) {
      const newestSucceeded = await this.catalog.newestSucceeded();
      if (!newestSucceeded || newestSucceeded.startedAt < this.primaryChangedAt) return true;
    }
    if (newest?.type === 'incremental' && newest.state === 'failed' && newest.errorCode === BackupErrorCode.ChainBroken)
      return true;
    return (await this.parentForIncremental().catch(() => null)) === null;
  }

  private refuseWhileRunning(): void {
    if (this.running) throw alreadyRunning(`backup ${this.running.id} is running`, this.running.id);
  }

  /** The newest succeeded backup, when its whole chain back to a full is intact in storage. */
  private async parentForIncremental(): Promise<BackupManifest> {
    const newest = await this.catalog.newestSucceeded();
    if (!newest) throw noFull('there is no successful backup yet: take a full backup first');
    try {
      await this.reader.chainOf(newest.id);
      return await this.reader.manifest(newest.id);
    } catch (error) {
      throw noFull(
        `the newest backup ${newest.id} is not usable (${(error as Error).message}): take a full backup first`,
      );
    }
  }

  /** True when a full backup succeeded (retention is then due). */
  private async execute(job: RunningBackup, parent: BackupManifest | null, tag: string | null): Promise<boolean> {
    const startedAt = this.clock.now();
    const { timeoutSeconds } = this.config.backup;
    const timer = setTimeout(() => job.controller.abort(new BackupTimeoutError(timeoutSeconds)), timeoutSeconds * 1000);
    const tempRoot = join(this.config.dataDir, 'tmp');
    await mkdir(tempRoot, { recursive: true, mode: BACKUP_FOLDER_MODE });
    const tempDir = await mkdtemp(join(tempRoot, `backup-${job.id}-`));
    try {
      job.controller.signal.throwIfAborted();
      // Each backup its own data key, so an incremental may follow a plain or other-key parent.
      const envelope = this.keys.encrypting ? this.keys.newEnvelope(job.id) : null;
      const storage = this.storageFor(envelope?.seal ?? null);
      const context = {
        backupId: job.id,
        storage,
        compressionLevel: this.config.backup.compressionLevel,
        signal: job.controller.signal,
        progress: job.progress,
        tempDir,
        seal: envelope?.seal ?? null,
        keys: this.keys,
      };
      const result = parent ? await this.engine.incremental(context, parent) : await this.engine.full(context);
      job.progress.enter('configs');
      const configs = await storeConfigsArchive(storage, job.id, join(this.config.dataDir, 'configs'), context);
      job.controller.signal.throwIfAborted();
      const manifest = assembleManifest({
        id: job.id,
        type: job.type,
        parent,
        tag,
        triggeredBy: job.triggeredBy,
        engine: this.engine.name,
        schemaVersion: await this.schemaVersion(),
        result,
        files: [...result.files, configs],
        startedAt,
        finishedAt: this.clock.now(),
        encryption: envelope?.encryption,
      });
      assertEncryptedAsConfigured(manifest, envelope?.seal ?? null, this.config.backup.encryption.cipher);
      await this.storage.writeManifest(job.id, serialiseManifest(manifest));
      await this.catalog.markSucceeded(manifest);
      const sizeBytes = manifest.files.reduce((sum, file) => sum + file.sizeBytes, 0);
      const durationMs = this.clock.now().getTime() - startedAt.getTime();
      this.logger.log({
        msg: 'backup succeeded',
        id: job.id,
        type: job.type,
        sizeBytes,
        files: manifest.files.length,
        durationMs,
      });
      this.events.emit('backup.succeeded', { id: job.id, type: job.type, sizeBytes, durationMs });
      return job.type === 'full';
    } catch (error) {
      const failure = describeFailure(error, job.controller.signal, this.storage.description);
      // Whatever step failed, no child process of this run may outlive it (a dump blocked on
      // its pipe holds a connection and a snapshot); the engines stop theirs, this is the backstop.
      job.controller.abort(error);
      await this.recordFailure(job, failure);
      return false;
    } finally {
      clearTimeout(timer);
      await rm(tempDir, { recursive: true, force: true });
    }
  }

  /** While BACKUP_ENCRYPTION is on, uploads go through a storage that refuses a file without the seal. */
  private storageFor(seal: FileSeal | null): BackupStorage {
    const { cipher } = this.config.backup.encryption;
    return cipher === 'none' ? this.storage : new EncryptedOnlyStorage(this.storage, seal, cipher);
  }

  /**
   * As pgBackRest does: every successful full applies retention. It runs once the backup is
   * recorded and its lock released, so a backup triggered right after this one succeeded is
   * not refused; retention never touches running rows and always keeps the newest full.
   */
  private async applyRetention(): Promise<void> {
    try {
      const report = await this.maintenance.expire(false);
      if (report.expire.length > 0)
        this.logger.log({
          msg: 'retention applied',
          expired: report.expire.map((e) => e.id),
          keptFulls: report.keptFulls,
        });
    } catch (error) {
      this.logger.error({ msg: 'retention failed; backups are kept', err: (error as Error).message });
    }
  }

  private async recordFailure(job: RunningBackup, failure: { code: string; reason: string }): Promise<void> {
    this.logger.error({ msg: 'backup failed', id: job.id, type: job.type, ...failure });
    await this.storage
      .remove(job.id)
      .catch((error: Error) =>
        this.logger.warn({ msg: 'could not remove the failed backup', id: job.id, err: error.message }),
      );
    await this.catalog.markFailed(job.id, failure.code, failure.reason, this.clock.now());
    this.events.emit('backup.failed', { id: job.id, type: job.type, ...failure });
  }

  private async schemaVersion(): Promise<string | null> {
    const status = await this.schema.status();
    return status.applied[status.applied.length - 1] ?? null;
  }

  /** Ids carry milliseconds; two backups in one millisecond get the next one. */
  private async freshId(type: BackupType): Promise<string> {
    let at = this.clock.now().getTime();
    for (;;) {
      const id = newBackupId(type, new Date(at));
      if (!(await this.catalog.find(id))) return id;
      at += 1;
    }
  }
}

function alreadyRunning(message: string, runningId: string | null): DomainError {
  return new DomainError(
    BackupErrorCode.AlreadyRunning,
    ErrorKind.Conflict,
    `a backup is already running: ${message}`,
    { details: { runningId } },
  );
}

function noFull(message: string): DomainError {
  return new DomainError(BackupErrorCode.NoFullBackup, ErrorKind.Conflict, `incremental refused: ${message}`);
}
