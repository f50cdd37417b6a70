import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { S3rverProcess } from '../support/s3/s3rver';
import { type UpgradeDatabase, runCli } from '../support/upgrade-contract';

const key = randomBytes(32).toString('base64');
const other = randomBytes(32).toString('base64');

/** `backup verify` and `backup restore` through the built CLI need only the bucket and the keys. */
describe('backup CLI with encrypted S3 storage, the service database gone (SQLite)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-cli-s3-enc-'));
  const dataDir = join(cwd, 'data');
  const sqlitePath = join(dataDir, 'logic-ha.sqlite');
  let s3: S3rverProcess;
  let db: UpgradeDatabase;
  let backupId: string;
  let liveRows: string;

  const rows = (path: string) => {
    const sqlite = new Database(path, { readonly: true });
    try {
      return JSON.stringify(sqlite.prepare('SELECT id, bizId FROM logic_instance ORDER BY id').all());
    } finally {
      sqlite.close();
    }
  };
  const withKeys = (keys: string) => ({ env: { BACKUP_ENCRYPTION_KEYS: keys } });

  beforeAll(async () => {
    s3 = await S3rverProcess.start();
    db = {
      cwd,
      config: { type: 'sqlite', sqlitePath },
      env: {
        DB_TYPE: 'sqlite',
        SQLITE_PATH: sqlitePath,
        DATA_DIR: dataDir,
        BACKUP_ENCRYPTION: 'aes-256-gcm',
        BACKUP_ENCRYPTION_KEYS: `k1:${key}`,
        ...s3.env('cli'),
      },
      secrets: [key, other],
    };
    mkdirSync(dataDir, { recursive: true });
    expect((await runCli(db, ['upgrade'])).code).toBe(0);
    const sqlite = new Database(sqlitePath);
    sqlite.exec(
      `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 500)
       INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes) SELECT 'i' || n, 'L1', 'B' || n, 0, 0 FROM seq`,
    );
    sqlite.close();
    liveRows = rows(sqlitePath);
    const backup = await runCli(db, ['backup', 'run', 'full']);
    expect(backup.json).toMatchObject({ state: 'succeeded' });
    backupId = backup.json.id;
    rmSync(dataDir, { recursive: true, force: true }); // the host is lost: database, state, everything local
  });
  afterAll(async () => {
    await s3?.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('verify re-reads and authenticates the chain from the bucket, without re-creating the database', async () => {
    const run = await runCli(db, ['backup', 'verify', backupId]);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ ok: true, problems: [] });
    expect(existsSync(sqlitePath)).toBe(false);
  });

  it('restore gives back every row from the bucket', async () => {
    const target = join(cwd, 'restored', 'copy.sqlite');
    const run = await runCli(db, ['backup', 'restore', backupId, '--target', target]);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ backupId, target });
    expect(rows(target)).toEqual(liveRows);
    expect(existsSync(sqlitePath)).toBe(false);
  });

  it('without the backup key, verify and restore fail naming the key id, and restore creates nothing', async () => {
    const verify = await runCli(db, ['backup', 'verify', backupId], withKeys(`k2:${other}`));
    expect(verify.code).not.toBe(0);
    expect(verify.json.ok).toBe(false);
    expect(verify.json.problems[0]).toContain('encrypted with key k1');
    const target = join(cwd, 'no-key', 'copy.sqlite');
    const restore = await runCli(db, ['backup', 'restore', backupId, '--target', target], withKeys(`k2:${other}`));
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain('encrypted with key k1');
    expect(existsSync(target)).toBe(false);
  });
});
