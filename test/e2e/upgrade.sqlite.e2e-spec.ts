import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lockfile from 'proper-lockfile';
import type { DataSource } from 'typeorm';
import { UpgradeDatabase, describeUpgradeContract } from '../support/upgrade-contract';

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

  describeUpgradeContract(() => ({
    freshDatabase: async () => {
      const cwd = join(root, `db-${++counter}`);
      mkdirSync(join(cwd, 'shared'), { recursive: true });
      const sqlitePath = join(cwd, 'shared', 'logic-ha.sqlite');
      return {
        cwd,
        config: { type: 'sqlite', sqlitePath },
        env: { DB_TYPE: 'sqlite', SQLITE_PATH: sqlitePath, DATA_DIR: join(cwd, 'data'), BACKUP_DIR: join(cwd, 'backups'), LOG_LEVEL: 'info', ADMIN_TOKEN: ADMIN_TOKEN },
        secrets: [ADMIN_TOKEN],
      };
    },
    fingerprint,
    holdMigrationLock: async (db) => lockfile.lock(db.env.SQLITE_PATH, { ...lockOptions(db), stale: 10_000, update: 5_000 }),
    migrationLockIsFree: async (db) => !(await lockfile.check(db.env.SQLITE_PATH, lockOptions(db))),
    lockHolder: /migrate-lock/,
    transactionalDdl: true,
  }));
});
