import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminHttp } from '../support/app-http';
import { type AppProcess, BUILT_CLI, spawnApp } from '../support/app-process';
import { MariaDbServer } from '../support/mariadb';

const ADMIN_TOKEN = 'crash-test-admin-token';
const DB = 'logic_ha';

/** The built service and CLI as processes: kill -9 during a backup, then the CLI restores from storage alone. */
describe('backup process failures on a private MariaDB', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-crash-'));
  let env: Record<string, string>;
  let app: AppProcess | null = null;
  let base = '';

  const { api, poll } = adminHttp(() => base, ADMIN_TOKEN);
  const start = async () => {
    app = spawnApp(cwd, env);
    base = await app.listening();
  };
  const cli = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const run = spawnApp(cwd, { ...env, ...extraEnv }, ['backup', ...args], BUILT_CLI);
    const { code } = await run.exited;
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  };

  beforeAll(async () => {
    [source, target] = await Promise.all([
      MariaDbServer.start({ serverId: 51 }),
      MariaDbServer.start({ serverId: 52 }),
    ]);
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
      // Slow enough compression that the dump is still streaming when the test kills the process.
      BACKUP_COMPRESSION_LEVEL: '9',
    };
    await start();
  });
  afterAll(async () => {
    app?.child.kill('SIGKILL');
    await Promise.all([source?.stop(), target?.stop()]);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('kill -9 during a backup: earlier backups stay intact, the partial one is failed at the next start and removed', async () => {
    const good = await api('POST', '/api/v1/backups', { type: 'full' });
    expect(good.status).toBe(202);
    expect((await poll(`/api/v1/backups/${good.body.id}`, (b) => b.state !== 'running')).state).toBe('succeeded');

    await source.query(
      `USE ${DB}; INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes, returnData)
       SELECT CONCAT('i', seq), 'L1', CONCAT('B', seq), 0, 0, REPEAT(MD5(seq), 8) FROM seq_1_to_100000;`,
    );
    const doomed = await api('POST', '/api/v1/backups', { type: 'full' });
    expect(doomed.status).toBe(202);
    await poll(`/api/v1/backups/${doomed.body.id}`, (b) => b.state === 'running' && b.progress.bytes > 0);
    app!.child.kill('SIGKILL');
    await app!.exited;
    expect(existsSync(join(cwd, 'data', 'backups', doomed.body.id, 'manifest.json'))).toBe(false);

    await start();
    const settled = await poll(`/api/v1/backups/${doomed.body.id}`, (b) => b.state !== 'running', 30_000);
    expect(settled).toMatchObject({ state: 'failed', error: { code: 'BACKUP_INTERRUPTED' } });
    expect(readdirSync(join(cwd, 'data', 'backups'))).not.toContain(doomed.body.id);
    const listed = await api('GET', '/api/v1/backups?state=succeeded');
    expect(listed.body.items.map((b: { id: string }) => b.id)).toEqual([good.body.id]);
    const verified = await api('POST', `/api/v1/backups/${good.body.id}/verify`);
    expect(verified.body.ok).toBe(true);
  });

  it('the CLI takes, lists, verifies and restores a backup; verify and restore need no database', async () => {
    app!.child.kill('SIGTERM');
    await app!.exited;
    app = null;
    const run = await cli(['run', 'full', '--tag', 'before-change'], { BACKUP_COMPRESSION_LEVEL: '1' });
    expect(run.code).toBe(0);
    const taken = JSON.parse(run.stdout);
    expect(taken).toMatchObject({ state: 'succeeded', tag: 'before-change', type: 'full' });

    const list = await cli(['list', '--state', 'succeeded']);
    expect(JSON.parse(list.stdout).map((b: { id: string }) => b.id)).toContain(taken.id);

    // The source database is gone for the offline commands.
    const offline = { DB_PRIMARY_URL: 'mysql://app:x@127.0.0.1:1/gone' };
    const verify = await cli(['verify', taken.id], offline);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, id: taken.id });

    const targetUrl = `mysql://root@127.0.0.1:${target.port}/restored`;
    const dry = await cli(['restore', taken.id, '--target', targetUrl, '--dry-run'], offline);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).chain.map((b: { id: string }) => b.id)).toEqual([taken.id]);

    const restore = await cli(['restore', taken.id, '--target', targetUrl], offline);
    expect(restore.stderr).not.toMatch(/logic-ha:/);
    expect(restore.code).toBe(0);
    expect(JSON.parse(restore.stdout).rowCounts.logic_instance).toBe(100_000);
    const [checksumSource] = await source.query<{ Checksum: number }[]>(`CHECKSUM TABLE ${DB}.logic_instance`);
    const [checksumTarget] = await target.query<{ Checksum: number }[]>('CHECKSUM TABLE restored.logic_instance');
    expect(checksumTarget.Checksum).toBe(checksumSource.Checksum);
    // Five CLI processes (each loads the app) and a 100k-row dump and restore: past a minute on a busy two-core machine.
  }, 180_000);

  it.each([
    [
      ['restore', '20261127-020000-000F'],
      /required option '--target <mysql:\/\/…\|\/path\.sqlite>' not specified\n\nUsage: logic-ha backup restore/,
      2,
    ],
    [
      ['restore'],
      /required option '--target [^']*' not specified\n\nUsage: logic-ha backup restore \[options\] <id>/,
      2,
    ],
    [['run', 'weekly'], /argument 'type'. Allowed choices are full, incremental.\n\nUsage: logic-ha backup run/, 2],
    [
      ['list', '--state', 'odd'],
      /option '--state <state>' argument 'odd' is invalid. Allowed choices are running, succeeded, failed, expired/,
      2,
    ],
    [['catalog', 'drop'], /unknown command 'drop'\n\nUsage: logic-ha backup catalog/, 2],
    [['explode'], /unknown command 'explode'[^]*Usage: logic-ha backup \[options\] \[command\]/, 2],
    [['verify', 'not-an-id'], /"ok":false.*is not a backup id/, 1],
  ])('the CLI refuses %j', async (args, message, code) => {
    const run = await cli(args);
    expect(run.code).toBe(code);
    expect(run.stderr + run.stdout).toMatch(message);
  });
});
