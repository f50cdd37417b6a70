import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminHttp } from '../support/app-http';
import { type AppProcess, spawnApp } from '../support/app-process';
import { MariaDbServer } from '../support/mariadb';
import { S3rverProcess } from '../support/s3/s3rver';

const ADMIN_TOKEN = 'crash-test-admin-token';
const DB = 'logic_ha';

/** backup-crash.mariadb.e2e-spec.ts with BACKUP_STORAGE=s3: kill -9 of the service while a multipart upload runs. */
describe('kill -9 during an S3 upload', () => {
  let source: MariaDbServer;
  let s3: S3rverProcess;
  let client: S3Client;
  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-crash-s3-'));
  let env: Record<string, string>;
  let app: AppProcess | null = null;
  let base = '';

  const { api, poll } = adminHttp(() => base, ADMIN_TOKEN);
  const start = async () => {
    app = spawnApp(cwd, env);
    base = await app.listening();
  };
  const keysOf = async (id: string) =>
    ((await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${id}/` }))).Contents ?? []).map(
      (o) => o.Key,
    );
  const takeFull = async () => {
    const started = await api('POST', '/api/v1/backups', { type: 'full' });
    expect(started.status).toBe(202);
    return poll(`/api/v1/backups/${started.body.id}`, (b) => b.state !== 'running', 60_000);
  };

  beforeAll(async () => {
    [source, s3] = await Promise.all([MariaDbServer.start({ serverId: 71 }), S3rverProcess.start()]);
    client = s3.client();
    await source.createDatabaseWithUser(DB, 'app', 'app-password');
    env = {
      DB_TYPE: 'mysql',
      DB_PRIMARY_URL: `mysql://app:app-password@127.0.0.1:${source.port}/${DB}`,
      DB_ADMIN_USER: 'root',
      ADMIN_TOKEN,
      PORT: '0',
      LOG_LEVEL: 'info',
      BACKUP_FULL_CRON: 'off',
      BACKUP_INCREMENTAL_CRON: 'off',
      BACKUP_COMPRESSION_LEVEL: '9',
      ...s3.env(),
    };
    await start();
  });
  afterAll(async () => {
    app?.child.kill('SIGKILL');
    client?.destroy();
    await Promise.all([source?.stop(), s3?.stop()]);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('no manifest, never listed as usable, cleaned up at the next start, and the next backup is good', async () => {
    const good = await takeFull();
    expect(good.state).toBe('succeeded');

    // Random data: gzip cannot shrink it below the 8 MiB first part, so a multipart upload is under way.
    await source.query(
      `USE ${DB}; INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes, returnData)
       SELECT CONCAT('i', seq), 'L1', CONCAT('B', seq), 0, 0, TO_BASE64(RANDOM_BYTES(768)) FROM seq_1_to_60000;`,
    );
    const doomed = await api('POST', '/api/v1/backups', { type: 'full' });
    expect(doomed.status).toBe(202);
    const id = doomed.body.id as string;
    const deadline = Date.now() + 60_000;
    while (!s3.uploadsInProgress().some((u) => u.key.startsWith(`${id}/`) && u.parts > 0)) {
      if (Date.now() > deadline) throw new Error('no multipart upload part reached s3rver');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    app!.child.kill('SIGKILL');
    await app!.exited;
    expect(await keysOf(id)).not.toContain(`${id}/manifest.json`);

    await start();
    const settled = await poll(`/api/v1/backups/${id}`, (b) => b.state !== 'running', 30_000);
    expect(settled).toMatchObject({ state: 'failed', error: { code: 'BACKUP_INTERRUPTED' } });
    expect(await keysOf(id)).toEqual([]);
    const listed = await api('GET', '/api/v1/backups?state=succeeded');
    expect(listed.body.items.map((b: { id: string }) => b.id)).toEqual([good.id]);
    const rebuilt = await api('POST', '/api/v1/backups/catalog/rebuild');
    expect(rebuilt.body.inserted).not.toContain(id);
    expect(rebuilt.body.updated).not.toContain(id);

    const next = await takeFull();
    expect(next.state).toBe('succeeded');
    const verified = await api('POST', `/api/v1/backups/${next.id}/verify`);
    expect(verified.body).toMatchObject({ ok: true, problems: [] });
  }, 180_000);
});
