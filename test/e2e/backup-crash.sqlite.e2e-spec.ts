import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { adminHttp } from '../support/app-http';
import { type AppProcess, spawnApp } from '../support/app-process';

const ADMIN_TOKEN = 'sqlite-crash-admin-token';

/** The embedded default as a process: kill -9 during a backup leaves earlier backups intact and the partial one failed. */
describe('backup process failures on SQLite', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-sqlite-crash-'));
  const env = {
    ADMIN_TOKEN,
    PORT: '0',
    BACKUP_FULL_CRON: 'off',
    BACKUP_INCREMENTAL_CRON: 'off',
    BACKUP_COMPRESSION_LEVEL: '9',
  };
  let app: AppProcess | null = null;
  let base = '';

  const { api, poll } = adminHttp(() => base, ADMIN_TOKEN);
  const start = async () => {
    app = spawnApp(cwd, env);
    base = await app.listening();
  };

  beforeAll(start);
  afterAll(async () => {
    app?.child.kill('SIGKILL');
    await app?.exited;
    rmSync(cwd, { recursive: true, force: true });
  });

  it('kill -9 during a backup: the partial one is failed at the next start and removed, the earlier one verifies', async () => {
    const good = await api('POST', '/api/v1/backups', { type: 'full' });
    expect((await poll(`/api/v1/backups/${good.body.id}`, (b) => b.state !== 'running')).state).toBe('succeeded');

    // Enough data that compressing the copy takes a while.
    const database = new Database(join(cwd, 'data', 'logic-ha.sqlite'));
    database.pragma('busy_timeout = 5000');
    database.exec(
      `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 150000)
       INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes, returnData)
       SELECT 'i' || n, 'L1', 'B' || n, 0, 0, hex(randomblob(150)) FROM seq`,
    );
    database.close();

    const doomed = await api('POST', '/api/v1/backups', { type: 'full' });
    expect(doomed.status).toBe(202);
    await poll(
      `/api/v1/backups/${doomed.body.id}`,
      (b) => b.state === 'running' && b.progress.phase === 'store' && b.progress.bytes > 0,
    );
    app!.child.kill('SIGKILL');
    await app!.exited;

    await start();
    const settled = await poll(`/api/v1/backups/${doomed.body.id}`, (b) => b.state !== 'running', 30_000);
    expect(settled).toMatchObject({ state: 'failed', error: { code: 'BACKUP_INTERRUPTED' } });
    expect(readdirSync(join(cwd, 'data', 'backups'))).not.toContain(doomed.body.id);
    const verified = await api('POST', `/api/v1/backups/${good.body.id}/verify`);
    expect(verified.body).toMatchObject({ ok: true });
    const next = await api('POST', '/api/v1/backups', { type: 'incremental' });
    expect(next.status).toBe(202);
    expect((await poll(`/api/v1/backups/${next.body.id}`, (b) => b.state !== 'running')).state).toBe('succeeded');
  });
});
