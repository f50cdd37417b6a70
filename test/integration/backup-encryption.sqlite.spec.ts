import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { BackupReader } from '../../src/backup/backup-reader';
import { BackupLock } from '../../src/backup/backup-lock';
import { verifyChain } from '../../src/backup/backup-verify.service';
import { BackupRekeyService, rekeyBackups } from '../../src/backup/backup-rekey';
import { BackupCatalogService } from '../../src/backup/catalog/backup-catalog.service';
import type { BackupManifest } from '../../src/backup/backup.types';
import { createRestoreService } from '../../src/backup/backup-tools';
import { HEADER_BYTES, TAG_BYTES } from '../../src/backup/crypto/chunk-cipher';
import { KeyRing } from '../../src/backup/crypto/key-ring';
import { ProgressTracker } from '../../src/backup/progress';
import { LocalBackupStorage } from '../../src/backup/storage/local-backup.storage';
import { openStoredFile } from '../../src/backup/streams/read-file';
import { buildProgram } from '../../src/cli/program';
import { CliRuntime } from '../../src/cli/cli-runtime';
import { MasterKey } from '../../src/config/encryption-keys';
import { ADMIN_TOKEN, AUTH, restoreThroughApi, takeBackup } from '../support/backup-api';
import { type TestApp, startTestApp } from '../support/test-app';

const CHUNK = 1024 * 1024;
const SCRIPT = join(__dirname, '..', '..', 'scripts', 'decrypt-backup-file.js');
const k1 = randomBytes(32);
const k2 = randomBytes(32);
const keyList = (...keys: [string, Buffer][]) => keys.map(([id, key]) => `${id}:${key.toString('base64')}`).join(',');
const ring = (...keys: [string, Buffer][]) =>
  new KeyRing(
    'none',
    keys.map(([id, key]) => new MasterKey(id, key)),
  );
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** BACKUP_ENCRYPTION=aes-256-gcm end to end: backup, verify, restore, damage, lost keys, rotation, by hand. */
describe('encrypted backups on SQLite', () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'logic-ha-enc-backups-'));
  const restoreDir = mkdtempSync(join(tmpdir(), 'logic-ha-enc-restores-'));
  const storage = new LocalBackupStorage(backupDir);
  let t: TestApp;
  let full: string;
  let incremental: string;
  let liveRows: string;

  const manifestPath = (id: string) => join(backupDir, id, 'manifest.json');
  const manifest = (id: string) => JSON.parse(readFileSync(manifestPath(id), 'utf8')) as BackupManifest;
  const fileOf = (id: string, role: string) => manifest(id).files.find((f) => f.role === role)!;
  const rows = (path: string) => {
    const db = new Database(path, { readonly: true });
    try {
      return JSON.stringify(db.prepare('SELECT id, bizId FROM logic_instance ORDER BY id').all());
    } finally {
      db.close();
    }
  };
  /** Restores offline (storage + the given keys), as the CLI does. */
  const restoreWith = (keys: KeyRing, backupId: string, target: string) =>
    createRestoreService(t.config, new BackupReader(storage, keys)).restore(
      { backupId, target },
      new ProgressTracker(),
      new AbortController().signal,
    );
  /** Replaces a stored file and makes the manifest agree with it, as an attacker (or a bad repair) would. */
  const replaceStored = (id: string, role: string, bytes: Buffer) => {
    const m = manifest(id);
    const file = m.files.find((f) => f.role === role)!;
    writeFileSync(join(backupDir, id, file.name), bytes);
    Object.assign(file, { sha256: sha256(bytes), sizeBytes: bytes.length });
    writeFileSync(manifestPath(id), JSON.stringify(m, null, 2));
  };

  beforeAll(async () => {
    t = await startTestApp({
      ADMIN_TOKEN,
      BACKUP_DIR: backupDir,
      BACKUP_FULL_CRON: 'off',
      BACKUP_INCREMENTAL_CRON: 'off',
      BACKUP_ENCRYPTION: 'aes-256-gcm',
      BACKUP_ENCRYPTION_KEYS: keyList(['k1', k1]),
    });
    mkdirSync(join(t.config.dataDir, 'configs'), { recursive: true });
    writeFileSync(join(t.config.dataDir, 'configs', 'secret.json'), '{"password":"CONFIG-SECRET-VALUE"}');
    // Random text compresses poorly: the database file spans several 1 MiB chunks.
    await t.app.get(DataSource).query(
      `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 20000)
         INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes)
         SELECT 'i' || n, 'L1', 'MARKER-' || hex(randomblob(100)), 0, 0 FROM seq`,
    );
    full = (await takeBackup(t, 'full')).id;
    await t.app.get(DataSource).query(`UPDATE logic_instance SET bizId = 'CHANGED' WHERE id = 'i7'`);
    incremental = (await takeBackup(t, 'incremental')).id;
    liveRows = JSON.stringify(await t.app.get(DataSource).query('SELECT id, bizId FROM logic_instance ORDER BY id'));
  });
  afterAll(async () => {
    await t?.close();
    rmSync(backupDir, { recursive: true, force: true });
    rmSync(restoreDir, { recursive: true, force: true });
  });

  it('stores every file encrypted, the configs archive included, and records key and cipher in the manifest', () => {
    for (const id of [full, incremental]) {
      const m = manifest(id);
      expect(m.encryption).toMatchObject({ cipher: 'aes-256-gcm', keyId: 'k1', chunkBytes: CHUNK });
      for (const file of m.files) {
        expect(file.name).toMatch(/\.gz\.enc$/);
        const stored = readFileSync(join(backupDir, id, file.name));
        expect(stored.subarray(0, 6).toString()).toBe('LHAENC');
        expect(sha256(stored)).toBe(file.sha256); // the manifest's sha256 is of the stored (encrypted) bytes
        expect(stored.includes('CONFIG-SECRET-VALUE')).toBe(false);
        expect(stored.includes('MARKER-')).toBe(false);
      }
    }
    expect(fileOf(full, 'database').sizeBytes).toBeGreaterThan(2 * CHUNK);
  });

  it('readiness shows the cipher and the current key id, never key bytes', async () => {
    const ready = await request(t.server).get('/health/ready').expect(200);
    expect(ready.body.info.backup.encryption).toEqual({ cipher: 'aes-256-gcm', currentKeyId: 'k1' });
    expect(JSON.stringify(ready.body)).not.toContain(k1.toString('base64'));
  });

  it('round trip: verify passes and a restore gives back every row and the config files', async () => {
    const verify = await request(t.server).post(`/api/v1/backups/${incremental}/verify`).set(AUTH).expect(200);
    expect(verify.body).toMatchObject({ ok: true, problems: [] });
    const target = join(restoreDir, 'round-trip.sqlite');
    const configsTo = join(restoreDir, 'configs');
    const job = await restoreThroughApi(t, { backupId: incremental, target, configsTo });
    expect(job.error).toBeNull();
    expect(rows(target)).toEqual(liveRows);
    expect(readFileSync(join(configsTo, 'secret.json'), 'utf8')).toContain('CONFIG-SECRET-VALUE');
  });

  it('a flipped byte mid-file, with the manifest sha256 recomputed, fails verify and restore before the target is touched', async () => {
    const file = fileOf(full, 'database');
    const originalFile = readFileSync(join(backupDir, full, file.name));
    const originalManifest = readFileSync(manifestPath(full));
    const damaged = Buffer.from(originalFile);
    damaged[HEADER_BYTES + CHUNK + TAG_BYTES + 1000] ^= 0x01; // inside chunk 1
    replaceStored(full, 'database', damaged);
    try {
      const verify = await request(t.server).post(`/api/v1/backups/${incremental}/verify`).set(AUTH).expect(200);
      expect(verify.body.ok).toBe(false);
      expect(verify.body.problems).toEqual([
        expect.stringContaining(`${full}/${file.name}: chunk 1 failed authentication`),
      ]);
      const target = join(restoreDir, 'flipped.sqlite');
      const job = await restoreThroughApi(t, { backupId: incremental, target });
      expect(job).toMatchObject({ state: 'failed', error: { code: 'BACKUP_CORRUPT' } });
      expect(job.error.message).toContain('chunk 1 failed authentication');
      expect(existsSync(target)).toBe(false);
    } finally {
      writeFileSync(join(backupDir, full, file.name), originalFile);
      writeFileSync(manifestPath(full), originalManifest);
    }
  });

  it('a file whose last chunk was dropped (manifest recomputed) is refused', async () => {
    const file = fileOf(full, 'database');
    const originalFile = readFileSync(join(backupDir, full, file.name));
    const originalManifest = readFileSync(manifestPath(full));
    const chunks = Math.ceil((originalFile.length - HEADER_BYTES) / (CHUNK + TAG_BYTES));
    replaceStored(full, 'database', originalFile.subarray(0, HEADER_BYTES + (chunks - 1) * (CHUNK + TAG_BYTES)));
    try {
      const report = await verifyChain(new BackupReader(storage, ring(['k1', k1])), full);
      expect(report.problems).toEqual([
        expect.stringContaining(`${full}/${file.name}: chunk ${chunks - 2} (the last one) failed authentication`),
      ]);
      const target = join(restoreDir, 'truncated.sqlite');
      await expect(restoreWith(ring(['k1', k1]), full, target)).rejects.toMatchObject({ code: 'BACKUP_CORRUPT' });
      expect(existsSync(target)).toBe(false);
    } finally {
      writeFileSync(join(backupDir, full, file.name), originalFile);
      writeFileSync(manifestPath(full), originalManifest);
    }
  });

  it('a missing key id fails verify and restore, naming the key', async () => {
    const report = await verifyChain(new BackupReader(storage, ring(['k2', k2])), incremental);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toContain(`backup ${full} is encrypted with key k1, which is not configured here`);
    const target = join(restoreDir, 'no-key.sqlite');
    await expect(restoreWith(ring(['k2', k2]), incremental, target)).rejects.toMatchObject({
      code: 'BACKUP_KEY_MISSING',
      message: expect.stringContaining('encrypted with key k1'),
    });
    await expect(restoreWith(KeyRing.none(), incremental, target)).rejects.toMatchObject({
      code: 'BACKUP_KEY_MISSING',
    });
    expect(existsSync(target)).toBe(false);
  });

  it('backup restore --dry-run unwraps every key of the plan, and fails naming the missing one', async () => {
    const runtime = new CliRuntime();
    const onlyK2 = { ...t.config.backup.encryption, keys: [new MasterKey('k2', k2)] };
    Object.assign(runtime, { loaded: { ...t.config, backup: { ...t.config.backup, encryption: onlyK2 } } });
    const target = join(restoreDir, 'dry-no-key.sqlite');
    await expect(
      buildProgram(runtime).parseAsync(['backup', 'restore', incremental, '--target', target, '--dry-run'], {
        from: 'user',
      }),
    ).rejects.toMatchObject({
      code: 'BACKUP_KEY_MISSING',
      message: expect.stringContaining(`backup ${full} is encrypted with key k1`),
    });
    expect(existsSync(target)).toBe(false);
  });

  it('a wrong key with the right id fails with "cannot unwrap"', async () => {
    const target = join(restoreDir, 'wrong-key.sqlite');
    await expect(restoreWith(ring(['k1', randomBytes(32)]), incremental, target)).rejects.toMatchObject({
      code: 'BACKUP_KEY_WRONG',
      message: expect.stringContaining(`cannot unwrap the data key of backup ${full} with key k1`),
    });
    const report = await verifyChain(new BackupReader(storage, ring(['k1', randomBytes(32)])), full);
    expect(report.problems[0]).toContain(`cannot unwrap the data key of backup ${full} with key k1`);
    expect(existsSync(target)).toBe(false);
  });

  it('the by-hand script decrypts a file with only the manifest and the keys, and refuses a wrong key', async () => {
    const file = fileOf(full, 'database');
    const expected = await buffer(
      openStoredFile(storage, full, file, undefined, ring(['k1', k1]).sealOf(manifest(full))),
    );
    const gzip = execFileSync(process.execPath, [SCRIPT, manifestPath(full), join(backupDir, full, file.name)], {
      env: { PATH: process.env.PATH, BACKUP_ENCRYPTION_KEYS: keyList(['k1', k1]) },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(gunzipSync(gzip).equals(expected)).toBe(true);
    const wrong = spawnSync(process.execPath, [SCRIPT, manifestPath(full), join(backupDir, full, file.name)], {
      env: { PATH: process.env.PATH, BACKUP_ENCRYPTION_KEYS: keyList(['k1', k2]) },
    });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr.toString()).toContain(`cannot unwrap the data key of backup ${full} with key k1`);
  });

  it('the by-hand script refuses a manifest whose cipher or chunkBytes it does not read', () => {
    const file = fileOf(full, 'database');
    const edited = join(restoreDir, 'edited-manifest.json');
    const withEncryption = (change: Record<string, unknown>) => {
      const m = manifest(full);
      writeFileSync(edited, JSON.stringify({ ...m, encryption: { ...m.encryption, ...change } }));
      return spawnSync(process.execPath, [SCRIPT, edited, join(backupDir, full, file.name)], {
        env: { PATH: process.env.PATH, BACKUP_ENCRYPTION_KEYS: keyList(['k1', k1]) },
      });
    };
    const cipher = withEncryption({ cipher: 'aes-128-cbc' });
    expect(cipher.status).toBe(1);
    expect(cipher.stderr.toString()).toContain('uses cipher "aes-128-cbc"; this script reads aes-256-gcm');
    expect(cipher.stdout.length).toBe(0);
    const chunk = withEncryption({ chunkBytes: 0 });
    expect(chunk.status).toBe(1);
    expect(chunk.stderr.toString()).toContain('chunkBytes 0, outside 1024..67108864');
    expect(chunk.stdout.length).toBe(0);
  });

  it('rotation: a new key in front still restores old backups; rekey re-wraps them (dry run first, idempotent); the old key can then go', async () => {
    const rotated = ring(['k2', k2], ['k1', k1]);
    const before = join(restoreDir, 'rotated.sqlite');
    await restoreWith(rotated, incremental, before);
    expect(rows(before)).toEqual(liveRows);

    const dataFiles = () =>
      [full, incremental].flatMap((id) =>
        manifest(id).files.map((f) => sha256(readFileSync(join(backupDir, id, f.name)))),
      );
    const filesBefore = dataFiles();
    const dry = await rekeyBackups(new BackupReader(storage, rotated), new BackupLock(backupDir), true);
    expect(dry).toMatchObject({ dryRun: true, keyId: 'k2', failed: [] });
    expect(dry.rewrapped.map((r) => r.id).sort()).toEqual([full, incremental].sort());
    expect(manifest(full).encryption!.keyId).toBe('k1');

    // A running backup (or retention, or another rekey) holds the lock: the rekey is refused, nothing changes.
    const release = await new BackupLock(backupDir).tryAcquire(() => undefined);
    await expect(
      rekeyBackups(new BackupReader(storage, rotated), new BackupLock(backupDir), false),
    ).rejects.toMatchObject({ code: 'BACKUP_ALREADY_RUNNING' });
    await release!();
    expect(manifest(full).encryption!.keyId).toBe('k1');

    const catalogCopy = async (id: string) => {
      const [row] = await t.app.get(DataSource).query('SELECT manifest FROM logic_ha_backup WHERE id = ?', [id]);
      return JSON.parse(row.manifest) as BackupManifest;
    };
    expect((await catalogCopy(full)).encryption!.keyId).toBe('k1');
    const service = new BackupRekeyService(
      new BackupReader(storage, rotated),
      new BackupLock(backupDir),
      t.app.get(BackupCatalogService),
    );
    const done = await service.rekey(false);
    expect(done.rewrapped).toEqual(
      expect.arrayContaining([
        { id: full, from: 'k1' },
        { id: incremental, from: 'k1' },
      ]),
    );
    expect(manifest(full).encryption!.keyId).toBe('k2');
    // The catalog's copy follows: the old key's wrap is kept nowhere.
    expect((await catalogCopy(full)).encryption).toEqual(manifest(full).encryption);
    expect(dataFiles()).toEqual(filesBefore); // manifests only: no data file rewritten
    const again = await rekeyBackups(new BackupReader(storage, rotated), new BackupLock(backupDir), false);
    expect(again.rewrapped).toEqual([]);
    expect(again.skipped).toEqual(expect.arrayContaining([{ id: full, reason: 'already wrapped by k2' }]));

    const onlyNew = ring(['k2', k2]);
    expect((await verifyChain(new BackupReader(storage, onlyNew), incremental)).ok).toBe(true);
    const after = join(restoreDir, 'after-rekey.sqlite');
    await restoreWith(onlyNew, incremental, after);
    expect(rows(after)).toEqual(liveRows);
    await expect(restoreWith(ring(['k1', k1]), incremental, join(restoreDir, 'old-key.sqlite'))).rejects.toMatchObject({
      code: 'BACKUP_KEY_MISSING',
      message: expect.stringContaining('encrypted with key k2'),
    });
  });

  it('POST /api/v1/backups/rekey reports per backup, and refuses a bad body', async () => {
    // The app still has only k1; after the rotation above its backups are under k2, which it lacks.
    const res = await request(t.server).post('/api/v1/backups/rekey').set(AUTH).send({ dryRun: true }).expect(200);
    expect(res.body).toMatchObject({ dryRun: true, keyId: 'k1', rewrapped: [] });
    expect(res.body.failed).toEqual(
      expect.arrayContaining([{ id: full, problem: expect.stringContaining('encrypted with key k2') }]),
    );
    const dry = await request(t.server)
      .post('/api/v1/backups/restore')
      .set(AUTH)
      .send({ backupId: incremental, target: join(restoreDir, 'dry-api.sqlite'), dryRun: true })
      .expect(409);
    expect(dry.body).toMatchObject({ code: 'BACKUP_KEY_MISSING' });
    expect(JSON.stringify(dry.body)).toContain('encrypted with key k2');
    const bad = await request(t.server).post('/api/v1/backups/rekey').set(AUTH).send({ dryRun: 'yes' }).expect(400);
    expect(JSON.stringify(bad.body)).toContain('dryRun');
    await request(t.server).post('/api/v1/backups/rekey').send({}).expect(401);
  });

  // Runs last: after the rotation above the backups are under k2, which the app (k1 only) lacks.
  it('on a node without the key, verify and catalog rebuild still check every file by sha256, and report the key problem too', async () => {
    const file = fileOf(full, 'database');
    const path = join(backupDir, full, file.name);
    const damaged = readFileSync(path);
    damaged[HEADER_BYTES + 10] ^= 0x01; // the manifest is left as it was: its sha256 no longer matches
    writeFileSync(path, damaged);

    const verify = await request(t.server).post(`/api/v1/backups/${incremental}/verify`).set(AUTH).expect(200);
    expect(verify.body.ok).toBe(false);
    expect(verify.body.problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`backup ${full} is encrypted with key k2`),
        expect.stringContaining(`${full}/${file.name}: sha256 is`),
        expect.stringContaining(`backup ${incremental} is encrypted with key k2`),
      ]),
    );
    expect(verify.body.problems.filter((p: string) => p.startsWith(`${incremental}/`))).toEqual([]);

    const { body } = await request(t.server).post('/api/v1/backups/catalog/rebuild').set(AUTH).expect(200);
    expect(body.corrupt).toEqual([full]);
    expect(body.keyProblems.map((k: { id: string }) => k.id).sort()).toEqual([full, incremental].sort());
    const states = await request(t.server).get('/api/v1/backups').set(AUTH).expect(200);
    const stateOf = (id: string) => states.body.items.find((b: { id: string }) => b.id === id)?.state;
    expect(stateOf(full)).toBe('failed');
    expect(stateOf(incremental)).toBe('succeeded');
  });
});
