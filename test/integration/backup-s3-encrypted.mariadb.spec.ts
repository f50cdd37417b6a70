import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import request from 'supertest';
import type { BackupManifest } from '../../src/backup/backup.types';
import { BUILT_CLI, spawnApp } from '../support/app-process';
import { ADMIN_TOKEN, AUTH, nextSecond, restoreThroughApi, takeBackup } from '../support/backup-api';
import { MariaDbServer } from '../support/mariadb';
import { S3rverProcess } from '../support/s3/s3rver';
import { type TestApp, startTestApp } from '../support/test-app';

const DB = 'logic_ha';
/** Written into the database; must never appear in what the bucket stores. */
const MARKER = 'PLAINTEXT-MARKER-5e1f0c';
const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Every file s3rver keeps on disk for the objects of the bucket (its filesystem store). */
function storedObjects(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const path = join(root, name);
    if (statSync(path).isDirectory()) return storedObjects(path);
    return name.endsWith('._S3rver_object') ? [path] : [];
  });
}

/**
 * BACKUP_STORAGE=s3 with BACKUP_ENCRYPTION=aes-256-gcm on MariaDB, end to end: a chain with
 * PITR restored from the bucket, no plaintext in the bucket, a flipped byte caught before the
 * target exists, and a key rotation with `backup rekey` through the built CLI.
 */
describe('encrypted backups in S3 (s3rver) of a private MariaDB', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let s3: S3rverProcess;
  let client: S3Client;
  let t: TestApp;
  const cliCwd = mkdtempSync(join(tmpdir(), 'logic-ha-s3-enc-cli-'));
  const ids: Record<string, string> = {};
  let rowsAtPoint = '';
  let pointInTime = '';

  const appEnv = (keys: string) => ({
    DB_TYPE: 'mysql',
    DB_PRIMARY_URL: `mysql://app:app-password@127.0.0.1:${source.port}/${DB}`,
    DB_ADMIN_USER: 'root',
    ADMIN_TOKEN,
    BACKUP_FULL_CRON: 'off',
    BACKUP_INCREMENTAL_CRON: 'off',
    BACKUP_ENCRYPTION: 'aes-256-gcm',
    BACKUP_ENCRYPTION_KEYS: keys,
    ...s3.env(),
  });
  const write = (sql: string) => source.query(`USE ${DB}; ${sql}`);
  const rows = async (server: MariaDbServer, database: string) =>
    JSON.stringify(
      await server.query(
        `SELECT id, bizId, retryTimes, MD5(returnData) AS data FROM \`${database}\`.logic_instance ORDER BY id`,
      ),
    );
  const targetUrl = (database: string) => `mysql://root@127.0.0.1:${target.port}/${database}`;
  const databaseExists = async (database: string) =>
    (await target.query<unknown[]>('SHOW DATABASES LIKE ?', [database])).length > 0;
  const getObject = async (key: string) =>
    Buffer.from(
      await (await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToByteArray(),
    );
  const putObject = (key: string, body: Buffer) =>
    client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
  const manifestOf = async (id: string) =>
    JSON.parse((await getObject(`${id}/manifest.json`)).toString()) as BackupManifest;
  const restartApp = async (keys: string) => {
    await t.close();
    t = await startTestApp(appEnv(keys));
  };
  /** The built CLI, as operators run it: its own process, the app's environment. */
  const cli = async (args: string[], keys: string) => {
    const run = spawnApp(cliCwd, appEnv(keys), args, BUILT_CLI);
    const { code } = await run.exited;
    const output = run.stdout() + run.stderr();
    for (const key of [k1, k2]) expect(output.includes(key)).toBe(false);
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  };

  beforeAll(async () => {
    [source, target, s3] = await Promise.all([
      MariaDbServer.start({ serverId: 91 }),
      MariaDbServer.start({ serverId: 92 }),
      S3rverProcess.start(),
    ]);
    client = s3.client();
    await source.createDatabaseWithUser(DB, 'app', 'app-password');
    t = await startTestApp(appEnv(`k1:${k1}`));
  });
  afterAll(async () => {
    await t?.close();
    client?.destroy();
    await Promise.all([source?.stop(), target?.stop(), s3?.stop()]);
    rmSync(cliCwd, { recursive: true, force: true });
  });

  it('takes a full and two incrementals with writes between, and restores a point in time from S3', async () => {
    // Random bytes in base64: the dump stays several 1 MiB encryption chunks after gzip.
    await write(
      `INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes, returnData)
       SELECT CONCAT('i', seq), 'L1', CONCAT('${MARKER}-', seq), 0, 0, TO_BASE64(RANDOM_BYTES(768)) FROM seq_1_to_4000;`,
    );
    ids.full = (await takeBackup(t, 'full')).id;
    await write(`UPDATE logic_instance SET retryTimes = 3, bizId = '${MARKER}-updated' WHERE id IN ('i1', 'i2');`);
    ids.first = (await takeBackup(t, 'incremental')).id;
    await write(
      `DELETE FROM logic_instance WHERE id = 'i10'; UPDATE logic_instance SET retryTimes = 5 WHERE id = 'i3';`,
    );
    await nextSecond();
    pointInTime = new Date().toISOString();
    rowsAtPoint = await rows(source, DB);
    await nextSecond();
    await write(`DELETE FROM logic_instance WHERE id LIKE 'i2%';`);
    ids.second = (await takeBackup(t, 'incremental')).id;

    for (const id of [ids.full, ids.first, ids.second])
      expect((await manifestOf(id)).encryption).toMatchObject({ cipher: 'aes-256-gcm', keyId: 'k1' });
    const job = await restoreThroughApi(t, { backupId: ids.second, target: targetUrl('at_point'), to: pointInTime });
    expect(job.error).toBeNull();
    expect(job.result.chain).toEqual([ids.full, ids.first, ids.second]);
    expect(await rows(target, 'at_point')).toEqual(rowsAtPoint);
  });

  it('the bucket holds no plaintext: every stored object is an encrypted file or a manifest', async () => {
    const objects = storedObjects(join(s3.directory, s3.bucket));
    const dataObjects = objects.filter((path) => !path.endsWith('manifest.json._S3rver_object'));
    // A full's dump and configs archive, each incremental's binlogs and configs archive.
    expect(dataObjects.length).toBeGreaterThanOrEqual(6);
    for (const path of objects) {
      const bytes = readFileSync(path);
      expect({ path, marker: bytes.includes(MARKER) }).toEqual({ path, marker: false });
    }
    for (const path of dataObjects) {
      const bytes = readFileSync(path);
      expect({ path, header: bytes.subarray(0, 6).toString() }).toEqual({ path, header: 'LHAENC' });
      // Not merely gzip, whose output could hide the marker from a plain byte search.
      expect(() => gunzipSync(bytes)).toThrow();
    }
  });

  it('a flipped byte mid-dump, with the manifest sha256 and size recomputed, fails verify and restore before the target database exists', async () => {
    const manifest = await manifestOf(ids.full);
    const file = manifest.files.find((f) => f.role === 'dump')!;
    const key = `${ids.full}/${file.name}`;
    const original = await getObject(key);
    const originalManifest = await getObject(`${ids.full}/manifest.json`);
    const damaged = Buffer.from(original);
    damaged[Math.floor(damaged.length / 2)] ^= 0x01;
    Object.assign(file, { sha256: sha256(damaged), sizeBytes: damaged.length });
    await putObject(key, damaged);
    await putObject(`${ids.full}/manifest.json`, Buffer.from(JSON.stringify(manifest, null, 2)));
    try {
      const verify = await request(t.server).post(`/api/v1/backups/${ids.second}/verify`).set(AUTH).expect(200);
      expect(verify.body.ok).toBe(false);
      expect(verify.body.problems).toEqual([
        expect.stringMatching(new RegExp(`${key}: chunk \\d+ failed authentication`)),
      ]);

      const job = await restoreThroughApi(t, { backupId: ids.second, target: targetUrl('flipped') });
      expect(job).toMatchObject({ state: 'failed', error: { code: 'BACKUP_CORRUPT' } });
      expect(job.error.message).toContain(file.name);
      expect(await databaseExists('flipped')).toBe(false);
    } finally {
      await putObject(key, original);
      await putObject(`${ids.full}/manifest.json`, originalManifest);
    }
    const again = await request(t.server).post(`/api/v1/backups/${ids.second}/verify`).set(AUTH).expect(200);
    expect(again.body).toMatchObject({ ok: true, problems: [] });
  });

  it('rotation: a new key in front, an incremental, `backup rekey` through the CLI, then the chain restores with the new key alone', async () => {
    await restartApp(`k2:${k2},k1:${k1}`);
    await write(`UPDATE logic_instance SET retryTimes = 9 WHERE id = 'i5';`);
    ids.third = (await takeBackup(t, 'incremental')).id;
    expect((await manifestOf(ids.third)).encryption).toMatchObject({ keyId: 'k2' });
    const dataBefore = await Promise.all(
      [ids.full, ids.first].map(async (id) =>
        sha256(await getObject(`${id}/${(await manifestOf(id)).files.find((f) => f.role !== 'configs')!.name}`)),
      ),
    );

    const rekey = await cli(['backup', 'rekey'], `k2:${k2},k1:${k1}`);
    expect({ code: rekey.code, stderr: rekey.code === 0 ? '' : rekey.stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(rekey.stdout.trim().split('\n').pop()!);
    expect(report).toMatchObject({ dryRun: false, keyId: 'k2', failed: [] });
    expect(report.rewrapped.map((r: { id: string }) => r.id).sort()).toEqual([ids.full, ids.first, ids.second].sort());
    for (const id of [ids.full, ids.first, ids.second, ids.third])
      expect((await manifestOf(id)).encryption).toMatchObject({ keyId: 'k2' });
    const dataAfter = await Promise.all(
      [ids.full, ids.first].map(async (id) =>
        sha256(await getObject(`${id}/${(await manifestOf(id)).files.find((f) => f.role !== 'configs')!.name}`)),
      ),
    );
    expect(dataAfter).toEqual(dataBefore); // manifests re-wrapped, data untouched

    await restartApp(`k2:${k2}`);
    const verify = await request(t.server).post(`/api/v1/backups/${ids.third}/verify`).set(AUTH).expect(200);
    expect(verify.body).toMatchObject({ ok: true, problems: [] });
    const job = await restoreThroughApi(t, { backupId: ids.third, target: targetUrl('new_key_only') });
    expect(job.error).toBeNull();
    expect(job.result.chain).toEqual([ids.full, ids.first, ids.second, ids.third]);
    expect(await rows(target, 'new_key_only')).toEqual(await rows(source, DB));
  });
});
