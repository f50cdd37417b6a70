import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import request from 'supertest';
import { ADMIN_TOKEN, AUTH, takeBackup, waitForBackup } from '../support/backup-api';
import { dumpProcesses, eventually, openTransactions, rootConnectionsOn } from '../support/backup-leftovers';
import { MariaDbServer } from '../support/mariadb';
import { S3rverProcess } from '../support/s3/s3rver';
import { type TestApp, startTestApp } from '../support/test-app';

const DB = 'logic_ha';

/**
 * Issue 17, item 4 with S3: the S3 server dies (kill -9) while a full's multipart upload is
 * under way. The backup must fail naming the storage, and its mariadb-dump must not outlive
 * the failure (before the fix it stayed blocked on its stdout, holding a connection and a
 * REPEATABLE READ transaction). Once S3 is back, the next full is good and the failed one
 * never counts.
 */
describe('the S3 server dies mid-upload of a full backup (s3rver, private MariaDB)', () => {
  let source: MariaDbServer;
  let s3: S3rverProcess;
  let client: S3Client;
  let t: TestApp;

  const keysOf = async (id: string) =>
    ((await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${id}/` }))).Contents ?? []).map(
      (o) => o.Key,
    );
  const succeededIds = async () =>
    (await request(t.server).get('/api/v1/backups?state=succeeded').set(AUTH).expect(200)).body.items.map(
      (b: { id: string }) => b.id,
    );
  /** Waits until s3rver holds a second part of a multipart upload (the first one complete) of this backup. */
  const firstPartStored = async (id: string) => {
    const deadline = Date.now() + 60_000;
    while (!s3.uploadsInProgress().some((u) => u.key.startsWith(`${id}/`) && u.parts > 1)) {
      if (Date.now() > deadline) throw new Error(`no part of backup ${id} reached s3rver`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  beforeAll(async () => {
    [source, s3] = await Promise.all([MariaDbServer.start({ serverId: 81 }), S3rverProcess.start()]);
    client = s3.client();
    await source.createDatabaseWithUser(DB, 'app', 'app-password');
    t = await startTestApp({
      DB_TYPE: 'mysql',
      DB_PRIMARY_URL: `mysql://app:app-password@127.0.0.1:${source.port}/${DB}`,
      DB_ADMIN_USER: 'root',
      ADMIN_TOKEN,
      BACKUP_FULL_CRON: 'off',
      BACKUP_INCREMENTAL_CRON: 'off',
      ...s3.env(),
      // The default (8 attempts with backoff) keeps retrying a dead server for seconds; the
      // outcome is the same, this test only gets there sooner.
      BACKUP_S3_MAX_ATTEMPTS: '2',
    });
    // Random bytes in base64 compress to about 3/4: ~30 MB stored, four 8 MiB parts (the
    // driver's first part size, which the app does not let tests lower).
    await source.query(
      `USE ${DB}; INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes, returnData)
       SELECT CONCAT('i', seq), 'L1', CONCAT('B', seq), 0, 0, TO_BASE64(RANDOM_BYTES(768)) FROM seq_1_to_40000;`,
    );
  });
  afterAll(async () => {
    await t?.close();
    client?.destroy();
    await Promise.all([source?.stop(), s3?.stop()]);
  });

  it('fails naming the storage, ends the dump and its transaction; after a restart of S3 the next full is good', async () => {
    const { body } = await request(t.server).post('/api/v1/backups').set(AUTH).send({ type: 'full' }).expect(202);
    const doomed = body.id as string;
    await firstPartStored(doomed);
    expect(dumpProcesses(source.port)).toHaveLength(1); // the kill lands while the dump is still running
    await s3.kill();

    const failed = await waitForBackup(t, doomed);
    expect(failed).toMatchObject({ state: 'failed', error: { code: expect.any(String) } });
    // e.g. "S3 UploadPart 2 failed on s3://logic-ha-backups/ at http://127.0.0.1:43203 (… ECONNREFUSED …)"
    expect(failed.error.message).toMatch(/^S3 UploadPart \d+ failed on /);
    expect(failed.error.message).toContain(`s3://${s3.bucket}/ at ${s3.endpoint}`);
    // The server ends a dead client's transaction as soon as it notices the closed socket.
    // Two layers guarantee it: the engine's withChildren and BackupService's abort of the
    // job's signal; this fails only when both are gone (the second masks the first's loss).
    await eventually(async () => (await openTransactions(source)) === 0, 'no open transaction after the failure');
    expect(await rootConnectionsOn(source, DB)).toBe(0);
    expect(dumpProcesses(source.port)).toEqual([]);

    s3 = await s3.restart();
    client.destroy();
    client = s3.client();
    expect(await keysOf(doomed)).not.toContain(`${doomed}/manifest.json`);
    const next = await takeBackup(t, 'full');
    expect(await succeededIds()).toEqual([next.id]);
    const verified = await request(t.server).post(`/api/v1/backups/${next.id}/verify`).set(AUTH).expect(200);
    expect(verified.body).toMatchObject({ ok: true, problems: [] });
    const rebuilt = await request(t.server).post('/api/v1/backups/catalog/rebuild').set(AUTH).expect(200);
    expect([...rebuilt.body.inserted, ...rebuilt.body.updated]).not.toContain(doomed);
    expect(await succeededIds()).toEqual([next.id]);
  }, 180_000);
});
