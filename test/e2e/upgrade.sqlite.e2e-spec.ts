import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lockfile from 'proper-lockfile';
import type { DataSource } from 'typeorm';
import { BUILT_MAIN, spawnApp } from '../support/app-process';
import { type UpgradeDatabase, describeUpgradeContract, openDatabase, runCli } from '../support/upgrade-contract';

/** Every table, index and trigger definition and every row: equal means the same database. */
async function fingerprint(ds: DataSource): Promise<Record<string, unknown>> {
  const objects: { type: string; name: string; sql: string | null }[] = await ds.query(
    "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
  );
  const result: Record<string, unknown> = { objects };
  for (const table of objects.filter((o) => o.type === 'table')) {
    result[table.name] = await ds.query(`SELECT * FROM "${table.name}" ORDER BY rowid`);
  }
  return result;
}

const ADMIN_TOKEN = 'upgrade-test-admin-token-0123456789';
const lockOptions = (db: UpgradeDatabase) => ({ lockfilePath: `${db.env.SQLITE_PATH}.migrate-lock`, realpath: false });

describe('upgrade and rollback on SQLite (built service and CLI as processes)', () => {
  const root = mkdtempSync(join(tmpdir(), 'logic-ha-upgrade-'));
  let counter = 0;
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  describeUpgradeContract('sqlite', () => ({
    freshDatabase: async () => {
      const cwd = join(root, `db-${++counter}`);
      mkdirSync(join(cwd, 'shared'), { recursive: true });
      const sqlitePath = join(cwd, 'shared', 'logic-ha.sqlite');
      return {
        cwd,
        config: { type: 'sqlite', sqlitePath },
        env: {
          DB_TYPE: 'sqlite',
          SQLITE_PATH: sqlitePath,
          DATA_DIR: join(cwd, 'data'),
          BACKUP_DIR: join(cwd, 'backups'),
          LOG_LEVEL: 'info',
          ADMIN_TOKEN: ADMIN_TOKEN,
        },
        secrets: [ADMIN_TOKEN],
      };
    },
    fingerprint,
    holdMigrationLock: async (db) =>
      lockfile.lock(db.env.SQLITE_PATH, { ...lockOptions(db), stale: 10_000, update: 5_000 }),
    migrationLockIsFree: async (db) => !(await lockfile.check(db.env.SQLITE_PATH, lockOptions(db))),
    lockHolder: /migrate-lock/,
    transactionalDdl: true,
  }));

  it('a node starting while a restore holds the lock opens the restored file, not the one renamed away', async () => {
    const cwd = join(root, 'restore-race');
    const sqlitePath = join(cwd, 'shared', 'logic-ha.sqlite');
    mkdirSync(join(cwd, 'shared'), { recursive: true });
    const db: UpgradeDatabase = {
      cwd,
      config: { type: 'sqlite', sqlitePath },
      env: { DB_TYPE: 'sqlite', SQLITE_PATH: sqlitePath, DATA_DIR: join(cwd, 'data') },
      secrets: [],
    };
    expect((await runCli(db, ['upgrade'])).json).toMatchObject({ ok: true });
    // What the restore will put in place: the same schema plus one config only it holds.
    const restoredPath = join(cwd, 'restored.sqlite');
    copyFileSync(sqlitePath, restoredPath);
    const restored = await openDatabase({ type: 'sqlite', sqlitePath: restoredPath });
    await restored.query(
      "INSERT INTO logic (id, name, version, configJson) VALUES ('restored-marker', 'm', '1', '{\"restored\":true}')",
    );
    await restored.destroy();

    const release = await lockfile.lock(sqlitePath, { ...lockOptions(db), stale: 10_000, update: 5_000 });
    const app = spawnApp(cwd, { ...db.env, PORT: '0' }, [], BUILT_MAIN);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await Promise.all(['-wal', '-shm'].map((suffix) => rm(`${sqlitePath}${suffix}`, { force: true })));
      renameSync(restoredPath, sqlitePath);
      await release();
      const base = await app.listening();
      const answer = (await (await fetch(`${base}/api/ide/logic/restored-marker/config`)).json()) as { data: unknown };
      expect(answer.data).toMatchObject({ restored: true });
    } finally {
      app.child.kill('SIGKILL');
      await app.exited;
    }
  });
});
