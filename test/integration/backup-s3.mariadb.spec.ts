import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import request from 'supertest';
import { ADMIN_TOKEN, AUTH, nextSecond, restoreThroughApi, takeBackup } from '../support/backup-api';
import { MariaDbServer } from '../support/mariadb';
import { S3rverProcess } from '../support/s3/s3rver';
import { type TestApp, startTestApp } from '../support/test-app';

const DB = 'logic_ha';
const PREFIX = 'site-a/';

/** The same flows as backup.mariadb.spec.ts, with BACKUP_STORAGE=s3 on a private s3rver. */
describe('backups in S3 (s3rver) of a private MariaDB: chain, PITR, verify, retention, rebuild', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let s3: S3rverProcess;
  let client: S3Client;
  let t: TestApp;
  const backups: Record<string, string> = {};

  const appEnv = () => ({
    DB_TYPE: 'mysql',
    DB_PRIMARY_URL: `mysql://app:app-password@127.0.0.1:${source.port}/${DB}`,
    DB_ADMIN_USER: 'root',
    ADMIN_TOKEN,
    BACKUP_FULL_CRON: 'off',
    BACKUP_INCREMENTAL_CRON: 'off',
    BACKUP_RETAIN_FULL: '1',
    ...s3.env('site-a'),
  });
  const rows = (server: MariaDbServer, database: string) =>
    server.query<Record<string, unknown>[]>(
      `SELECT id, logicId, bizId, isOver, retryTimes FROM \`${database}\`.logic_instance ORDER BY id`,
    );
  const targetUrl = (database: string) => `mysql://root@127.0.0.1:${target.port}/${database}`;
  const write = (sql: string) => source.query(`USE ${DB}; ${sql}`);
  const keysOf = async (id: string) =>
    (
      (await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${PREFIX}${id}/` }))).Contents ?? []
    ).map((o) => o.Key!.slice(PREFIX.length + id.length + 1));
  const succeeded = async () =>
    (await request(t.server).get('/api/v1/backups?state=succeeded').set(AUTH).expect(200)).body.items
      .map((b: { id: string }) => b.id)
      .sort();

  beforeAll(async () => {
    [source, target, s3] = await Promise.all([
      MariaDbServer.start({ serverId: 61 }),
      MariaDbServer.start({ serverId: 62 }),
      S3rverProcess.start(),
    ]);
    client = s3.client();
    await source.createDatabaseWithUser(DB, 'app', 'app-password');
    t = await startTestApp(appEnv());
  });
  afterAll(async () => {
    await t?.close();
    client?.destroy();
    await Promise.all([source?.stop(), target?.stop(), s3?.stop()]);
  });

  it('takes a full and two incrementals into the bucket, each manifest written last beside its files', async () => {
    await write(
      `INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes) SELECT CONCAT('i', seq), 'L1', CONCAT('B', seq), 0, 0 FROM seq_1_to_200;`,
    );
    backups.full = (await takeBackup(t, 'full')).id;
    await write(
      `UPDATE logic_instance SET isOver = 1 WHERE id IN ('i1', 'i2'); DELETE FROM logic_instance WHERE id = 'i10';`,
    );
    backups.first = (await takeBackup(t, 'incremental')).id;
    await write(`UPDATE logic_instance SET retryTimes = 7 WHERE id = 'i20';`);
    await nextSecond();
    backups.pointInTime = new Date().toISOString();
    backups.expectedAtPoint = JSON.stringify(await rows(source, DB));
    await nextSecond();
    await write(`DELETE FROM logic_instance WHERE id LIKE 'i1%';`);
    const second = await takeBackup(t, 'incremental');
    expect(second).toMatchObject({ type: 'incremental', parentId: backups.first });
    backups.second = second.id;

    expect((await keysOf(backups.full)).sort()).toEqual(['configs.tar.gz', 'dump.sql.gz', 'manifest.json']);
    expect(await keysOf(backups.second)).toContain('manifest.json');
  });

  it('restores the latest point and a time between the incrementals from S3', async () => {
    const latest = await restoreThroughApi(t, { backupId: backups.second, target: targetUrl('restored_latest') });
    expect(latest.error).toBeNull();
    expect(latest.result.chain).toEqual([backups.full, backups.first, backups.second]);
    expect(await rows(target, 'restored_latest')).toEqual(await rows(source, DB));

    const mid = await restoreThroughApi(t, {
      backupId: backups.second,
      target: targetUrl('restored_mid'),
      to: backups.pointInTime,
    });
    expect(mid.error).toBeNull();
    expect(JSON.stringify(await rows(target, 'restored_mid'))).toEqual(backups.expectedAtPoint);
  });

  it('verifies the chain by re-reading every object', async () => {
    const { body } = await request(t.server).post(`/api/v1/backups/${backups.second}/verify`).set(AUTH).expect(200);
    expect(body).toMatchObject({ ok: true, problems: [] });
    expect(body.chain.map((b: { id: string }) => b.id)).toEqual([backups.full, backups.first, backups.second]);
  });

  it('retention removes the expired chain from the bucket', async () => {
    backups.secondFull = (await takeBackup(t, 'full')).id;
    backups.rowsAtSecondFull = JSON.stringify(await rows(source, DB));
    await request(t.server).post(`/api/v1/backups/${backups.secondFull}/verify`).set(AUTH).expect(200);
    const { body } = await request(t.server).post('/api/v1/backups/expire').set(AUTH).send({}).expect(200);
    expect(body.expire.map((e: { id: string }) => e.id).sort()).toEqual(
      [backups.full, backups.first, backups.second].sort(),
    );
    for (const id of [backups.full, backups.first, backups.second]) expect(await keysOf(id)).toEqual([]);
    expect(await succeeded()).toEqual([backups.secondFull]);
  });

  it('rebuilds the catalog from the bucket alone after the database was dropped; a backup without manifest is never listed', async () => {
    // Leftovers of a backup that never finished: data without a manifest.
    const unfinished = '20200101-000000-000F';
    await client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: `${PREFIX}${unfinished}/database.sql.gz`, Body: 'partial' }),
    );
    await t.close();
    await source.query(
      `DROP DATABASE ${DB}; CREATE DATABASE ${DB}; GRANT ALL PRIVILEGES ON ${DB}.* TO 'app'@'127.0.0.1';`,
    );
    t = await startTestApp(appEnv());
    expect((await request(t.server).get('/api/v1/backups').set(AUTH).expect(200)).body.items).toEqual([]);

    const { body } = await request(t.server).post('/api/v1/backups/catalog/rebuild').set(AUTH).expect(200);
    expect(body).toMatchObject({ inserted: [backups.secondFull], incomplete: [unfinished], corrupt: [] });
    expect(await succeeded()).toEqual([backups.secondFull]);
    const refused = await request(t.server)
      .post('/api/v1/backups/restore')
      .set(AUTH)
      .send({ backupId: unfinished, target: targetUrl('never') });
    expect(refused.status).toBeGreaterThanOrEqual(400);

    const job = await restoreThroughApi(t, { backupId: backups.secondFull, target: targetUrl('after_rebuild') });
    expect(job.state).toBe('succeeded');
    expect(JSON.stringify(await rows(target, 'after_rebuild'))).toEqual(backups.rowsAtSecondFull);
  });
});
