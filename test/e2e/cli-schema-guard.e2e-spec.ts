import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../../migrations';
import { LATEST_SCHEMA_VERSION, type UpgradeDatabase, openDatabase, runCli } from '../support/upgrade-contract';
import { buildLogicSolutionDatabase } from '../support/logic-solution-scripts';

/**
 * Only `upgrade`, `rollback` and `db …` change the schema. The other commands that open the
 * database refuse one that is not at this build's version, name the command to run, and
 * leave the file byte for byte as it was (before the fix, `backup list` after a rollback
 * silently re-applied every reverted migration).
 */
describe('CLI commands that do not migrate (SQLite)', () => {
  const root = mkdtempSync(join(tmpdir(), 'logic-ha-cli-guard-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function freshDatabase(name: string): UpgradeDatabase {
    const cwd = join(root, name);
    const sqlitePath = join(cwd, 'data', 'logic-ha.sqlite');
    mkdirSync(join(cwd, 'data'), { recursive: true });
    return {
      cwd,
      config: { type: 'sqlite', sqlitePath },
      env: {
        DB_TYPE: 'sqlite',
        SQLITE_PATH: sqlitePath,
        DATA_DIR: join(cwd, 'data'),
        BACKUP_DIR: join(cwd, 'backups'),
      },
      secrets: [],
    };
  }

  const COMMANDS = [
    ['backup', 'list'],
    ['backup', 'run', 'full'],
    ['backup', 'expire', '--dry-run'],
    ['backup', 'catalog', 'rebuild'],
    ['instances', 'run-job', 'cleanup'],
  ];

  describe('after rollback --to 0.7.4', () => {
    const db = freshDatabase('rolled-back');
    let before: Buffer;
    beforeAll(async () => {
      expect((await runCli(db, ['upgrade'])).code).toBe(0);
      expect((await runCli(db, ['rollback', '--to', '0.7.4', '--yes'])).code).toBe(0);
      before = readFileSync(db.env.SQLITE_PATH);
    });

    it.each(COMMANDS)('%s %s … refuses (exit 1), names `upgrade`, and applies nothing', async (...args) => {
      const run = await runCli(db, args);
      expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
      expect(run.stderr).toContain('[SCHEMA_NOT_CURRENT]');
      expect(run.stderr).toContain(
        `is at schema 0.7.4 and this build is at ${LATEST_SCHEMA_VERSION}: ${MIGRATIONS.length - 2} pending migration(s)`,
      );
      expect(run.stderr).toContain('npm run cli -- upgrade');
      expect(readFileSync(db.env.SQLITE_PATH).equals(before)).toBe(true);
      expect((await runCli(db, ['db', 'validate'])).json.pending).toHaveLength(MIGRATIONS.length - 2);
    });

    it('after `upgrade` the same commands work again, and the catalog the rollback dropped lists every backup in storage', async () => {
      const upgraded = await runCli(db, ['upgrade']);
      expect(upgraded.json).toMatchObject({
        ok: true,
        to: LATEST_SCHEMA_VERSION,
        catalogRebuilt: { inserted: 3, corrupt: [] },
      });
      expect(upgraded.stderr).toContain('"step":"catalog-rebuilt"');
      const list = await runCli(db, ['backup', 'list']);
      expect(list.code).toBe(0);
      const tags = (JSON.parse(list.stdout) as { tag: string }[]).map((backup) => backup.tag);
      expect(tags.sort()).toEqual([
        `pre-rollback-${LATEST_SCHEMA_VERSION}-0.7.4`,
        `pre-upgrade-0.7.4-${LATEST_SCHEMA_VERSION}`,
        `pre-upgrade-empty-${LATEST_SCHEMA_VERSION}`,
      ]);
      expect((await runCli(db, ['instances', 'run-job', 'cleanup'])).code).toBe(0);
    });
  });

  it('a logic-solution database without history is refused, naming `db baseline`', async () => {
    const db = freshDatabase('unbaselined');
    const ds = await openDatabase(db.config);
    await buildLogicSolutionDatabase(ds, '0.7.4');
    await ds.destroy();
    const before = readFileSync(db.env.SQLITE_PATH);
    const run = await runCli(db, ['backup', 'list']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('[SCHEMA_NOT_BASELINED]');
    expect(run.stderr).toContain('npm run cli -- db baseline');
    expect(readFileSync(db.env.SQLITE_PATH).equals(before)).toBe(true);
  });
});
