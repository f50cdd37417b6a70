import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { FakeClock } from '../../test/support/fake-clock';
import type { EventBus } from '../common/events/event-bus';
import type { AppConfig } from '../config/app-config';
import type { SchemaStatusService } from '../database/schema-status.service';
import { BackupErrorCode } from './backup.errors';
import { BackupLock } from './backup-lock';
import type { BackupMaintenanceService } from './backup-maintenance.service';
import { BackupReader } from './backup-reader';
import { MasterKey } from '../config/encryption-keys';
import { KeyRing } from './crypto/key-ring';
import { BackupService } from './backup.service';
import type { BackupManifest } from './backup.types';
import type { BackupCatalogService, NewBackupRecord } from './catalog/backup-catalog.service';
import type { BackupRecordEntity } from './catalog/backup-record.entity';
import { BackupEngine, type EngineContext, type EngineResult } from './engines/backup-engine';
import { InterruptedBackups } from './interrupted-backups';
import { ProcessFailedError } from './process/process-runner';
import { LocalBackupStorage } from './storage/local-backup.storage';
import { storeFile } from './streams/store-file';

/** The catalog's contract, in memory. */
class MemoryCatalog {
  rows = new Map<string, BackupRecordEntity>();
  async insertRunning(record: NewBackupRecord) {
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
    });
  }
  async markSucceeded(manifest: BackupManifest) {
    Object.assign(this.rows.get(manifest.id)!, {
      state: 'succeeded',
      fileCount: manifest.files.length,
      finishedAt: new Date(manifest.finishedAt),
    });
  }
  async markFailed(id: string, code: string, message: string) {
    Object.assign(this.rows.get(id)!, { state: 'failed', errorCode: code, error: message });
  }
  async find(id: string) {
    return this.rows.get(id) ?? null;
  }
  async findRunning() {
    return [...this.rows.values()].filter((row) => row.state === 'running');
  }
  async newest() {
    return [...this.rows.values()].pop() ?? null;
  }
  async newestSucceeded() {
    return [...this.rows.values()].filter((row) => row.state === 'succeeded').pop() ?? null;
  }
}

type Behaviour = 'succeed' | 'hang' | 'tool-fails';

/** An engine that stores one small file, hangs until aborted, or fails like a dead mariadb-dump. */
class ScriptedEngine extends BackupEngine {
  readonly name = 'sqlite' as const;
  behaviour: Behaviour = 'succeed';
  /** False: the engine ignores the backup's data key, as a buggy or future engine might. */
  usesSeal = true;

  async full(context: EngineContext): Promise<EngineResult> {
    if (this.behaviour === 'hang') {
      await new Promise((_, reject) => {
        const rejectWithReason = () => reject(context.signal.reason as Error);
        if (context.signal.aborted) rejectWithReason();
        context.signal.addEventListener('abort', rejectWithReason);
      });
    }
    if (this.behaviour === 'tool-fails')
      throw new ProcessFailedError('mariadb-dump', 'exited with code 2', 'Got error: 1045: Access denied');
    const file = await storeFile(
      context.storage,
      context.backupId,
      'database.sqlite',
      'database',
      Readable.from([Buffer.from('data')]),
      { compressionLevel: 1, seal: this.usesSeal ? context.seal : null },
    );
    return {
      files: [file],
      start: null,
      end: { kind: 'sqlite', pageSize: 4096, pageCount: 1, sha256: 'a'.repeat(64) },
      serverVersion: 'test',
      sourceDatabase: null,
    };
  }

  incremental(): Promise<EngineResult> {
    throw new Error('not used');
  }
}

describe('BackupService', () => {
  let root: string;
  let catalog: MemoryCatalog;
  let engine: ScriptedEngine;
  let storage: LocalBackupStorage;
  let events: { name: string; payload: Record<string, unknown> }[];
  let service: BackupService;
  let lock: BackupLock;
  let retentionRuns: number;
  let config: AppConfig;
  const clock = new FakeClock(new Date('2026-11-27T02:00:00.000Z'));

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'logic-ha-backup-service-'));
    catalog = new MemoryCatalog();
    engine = new ScriptedEngine();
    storage = new LocalBackupStorage(join(root, 'backups'));
    events = [];
    lock = new BackupLock(join(root, 'backups'));
    config = {
      dataDir: root,
      backup: { timeoutSeconds: 3600, compressionLevel: 1, encryption: { cipher: 'none', keys: [] } },
    } as unknown as AppConfig;
    const bus = {
      emit: (name: string, payload: Record<string, unknown>) => events.push({ name, payload }),
    } as unknown as EventBus;
    const schema = {
      status: async () => ({ applied: ['M1', 'M2'], pending: [], logicSolutionVersion: '0.8' }),
    } as unknown as SchemaStatusService;
    retentionRuns = 0;
    const maintenance = {
      expire: async () => ((retentionRuns += 1), { dryRun: false, expire: [], keptFulls: [] }),
    } as unknown as BackupMaintenanceService;
    service = new BackupService(
      config,
      clock,
      bus,
      catalog as unknown as BackupCatalogService,
      storage,
      new BackupReader(storage, KeyRing.none()),
      engine,
      lock,
      schema,
      maintenance,
    );
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const run = async () => {
    const started = await service.start({ type: 'full', triggeredBy: 'manual' });
    await service.waitFor(started.id);
    return catalog.rows.get(started.id)!;
  };

  it('records running first, then succeeded with a manifest listing the data and the configs archive', async () => {
    const row = await run();
    expect(row).toMatchObject({ state: 'succeeded', fileCount: 2, triggeredBy: 'manual' });
    const manifest = JSON.parse((await storage.readManifest(row.id))!);
    expect(manifest).toMatchObject({ id: row.id, type: 'full', schemaVersion: 'M2', engine: 'sqlite' });
    expect(manifest.files.map((f: { role: string }) => f.role)).toEqual(['database', 'configs']);
    expect(events.map((e) => e.name)).toEqual(['backup.started', 'backup.succeeded']);
    expect(service.runningId).toBeNull();
    expect(retentionRuns).toBe(1);
  });

  describe('with BACKUP_ENCRYPTION=aes-256-gcm', () => {
    const encryptWith = (ring: KeyRing) => {
      config.backup.encryption.cipher = 'aes-256-gcm';
      (service as unknown as { reader: BackupReader }).reader = new BackupReader(storage, ring);
    };
    const ring = new KeyRing('aes-256-gcm', [new MasterKey('k1', Buffer.alloc(32, 7))]);

    it('encrypts every file, the configs archive included, and records the wrapped key', async () => {
      encryptWith(ring);
      const row = await run();
      expect(row.state).toBe('succeeded');
      const manifest = JSON.parse((await storage.readManifest(row.id))!) as BackupManifest;
      expect(manifest.encryption).toMatchObject({ cipher: 'aes-256-gcm', keyId: 'k1' });
      expect(manifest.files.map((f) => f.name)).toEqual(['database.sqlite.gz.enc', 'configs.tar.gz.enc']);
    });

    it('refuses a file that skipped the cipher before any of its bytes reach storage, says so, and keeps nothing', async () => {
      encryptWith(ring);
      engine.usesSeal = false;
      const upload = jest.spyOn(storage, 'upload');
      const row = await run();
      expect(row).toMatchObject({ state: 'failed', errorCode: BackupErrorCode.NotEncrypted });
      expect(row.error).toContain('BACKUP_ENCRYPTION=aes-256-gcm and');
      expect(row.error).toContain("database.sqlite.gz was about to be stored without this backup's cipher");
      expect(upload).not.toHaveBeenCalled();
      expect(existsSync(join(root, 'backups', row.id))).toBe(false);
      expect(events.map((e) => e.name)).toEqual(['backup.started', 'backup.failed']);
    });

    it('refuses by configuration even when the wiring handed over no keys (BACKUP_NOT_ENCRYPTED), uploading nothing', async () => {
      encryptWith(KeyRing.none());
      const upload = jest.spyOn(storage, 'upload');
      const row = await run();
      expect(row).toMatchObject({ state: 'failed', errorCode: BackupErrorCode.NotEncrypted });
      expect(row.error).toContain('BACKUP_ENCRYPTION=aes-256-gcm');
      expect(upload).not.toHaveBeenCalled();
      expect(existsSync(join(root, 'backups', row.id))).toBe(false);
    });
  });

  it('refuses a second backup while one runs, naming it', async () => {
    engine.behaviour = 'hang';
    const first = await service.start({ type: 'full', triggeredBy: 'manual' });
    await expect(service.start({ type: 'full', triggeredBy: 'schedule' })).rejects.toMatchObject({
      code: BackupErrorCode.AlreadyRunning,
      details: { runningId: first.id },
    });
    await service.abortRunning(new Error('test over'));
  });

  it('refuses when another process holds the storage lock', async () => {
    const release = await lock.tryAcquire(() => undefined);
    await expect(service.start({ type: 'full', triggeredBy: 'manual' })).rejects.toMatchObject({
      code: BackupErrorCode.AlreadyRunning,
      message: expect.stringMatching(/another logic-ha process/),
    });
    expect(catalog.rows.size).toBe(0);
    await release!();
  });

  it('fails a backup that passes its timeout, removes its files and says why', async () => {
    engine.behaviour = 'hang';
    (service as unknown as { config: AppConfig }).config.backup.timeoutSeconds = 0.05;
    const row = await run();
    expect(row).toMatchObject({ state: 'failed', errorCode: BackupErrorCode.TimedOut });
    expect(row.error).toMatch(/BACKUP_TIMEOUT_S/);
    expect(existsSync(join(root, 'backups', row.id))).toBe(false);
    expect(events.map((e) => e.name)).toEqual(['backup.started', 'backup.failed']);
  });

  it('reports a failed tool with its stderr', async () => {
    engine.behaviour = 'tool-fails';
    const row = await run();
    expect(row).toMatchObject({ state: 'failed', errorCode: BackupErrorCode.ToolFailed });
    expect(row.error).toContain('Access denied');
    expect(retentionRuns).toBe(0);
  });

  it('refuses an incremental without a usable full, recording nothing', async () => {
    await expect(service.start({ type: 'incremental', triggeredBy: 'manual' })).rejects.toMatchObject({
      code: BackupErrorCode.NoFullBackup,
    });
    expect(catalog.rows.size).toBe(0);
    expect(await service.needsFull()).toBe(true);
    await run();
    expect(await service.needsFull()).toBe(false);
  });

  it('takes a full next after the primary changed, then incrementals again', async () => {
    await run();
    expect(await service.needsFull()).toBe(false);
    clock.advance(1000);
    service.onPrimaryChanged({ at: clock.now() });
    expect(await service.needsFull()).toBe(true);
    clock.advance(1000);
    await run();
    expect(await service.needsFull()).toBe(false);
  });

  it('a shutdown during a backup records it as failed', async () => {
    engine.behaviour = 'hang';
    const started = await service.start({ type: 'full', triggeredBy: 'manual' });
    await service.abortRunning(new Error('the service is shutting down'));
    expect(catalog.rows.get(started.id)).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/shutting down/),
    });
  });

  describe('interrupted backups (the process died during them)', () => {
    it('marks one without a manifest failed and removes its files; one with a manifest succeeded', async () => {
      const finished = await run();
      const manifestText = (await storage.readManifest(finished.id))!;
      // Two rows left `running` by a dead process: one finished its manifest, one did not.
      const done = '20261127-010000-000F';
      const partial = '20261127-010500-000F';
      for (const id of [done, partial])
        await catalog.insertRunning({
          id,
          type: 'full',
          parentId: null,
          tag: null,
          engine: 'sqlite',
          triggeredBy: 'schedule',
          startedAt: new Date('2026-11-27T01:00:00Z'),
        });
      mkdirSync(join(root, 'backups', done));
      writeFileSync(
        join(root, 'backups', done, 'manifest.json'),
        manifestText.replace(new RegExp(finished.id, 'g'), done),
      );
      mkdirSync(join(root, 'backups', partial));
      writeFileSync(join(root, 'backups', partial, 'dump.sql.gz.partial'), 'half');

      const interrupted = new InterruptedBackups(
        clock,
        catalog as unknown as BackupCatalogService,
        storage,
        new BackupReader(storage, KeyRing.none()),
        lock,
      );
      await interrupted.settle(new Date('2026-11-27T02:00:00Z'), () => false);
      expect(catalog.rows.get(done)!.state).toBe('succeeded');
      expect(catalog.rows.get(partial)).toMatchObject({ state: 'failed', errorCode: BackupErrorCode.Interrupted });
      expect(existsSync(join(root, 'backups', partial))).toBe(false);
    });
  });
});
