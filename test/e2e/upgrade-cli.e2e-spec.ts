import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../../migrations';
import { type UpgradeDatabase, runCli } from '../support/upgrade-contract';

/** Bad command lines for db, upgrade and rollback: a clear error naming what is wrong, and nothing changed. */
describe('db / upgrade / rollback CLI with bad input (SQLite)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-upgrade-cli-'));
  const sqlitePath = join(cwd, 'data', 'logic-ha.sqlite');
  const db: UpgradeDatabase = {
    cwd,
    config: { type: 'sqlite', sqlitePath },
    env: { DB_TYPE: 'sqlite', SQLITE_PATH: sqlitePath, DATA_DIR: join(cwd, 'data') },
    secrets: [],
  };
  const databaseBytes = () => readFileSync(sqlitePath);
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('refuses domain errors on an empty database with their code, and creates nothing', async () => {
    mkdirSync(join(cwd, 'data'), { recursive: true });
    const baseline = await runCli(db, ['db', 'baseline']);
    expect(baseline.code).toBe(1);
    expect(baseline.stderr).toContain('[NOTHING_TO_BASELINE]');
    expect(baseline.stderr).toContain('it is empty');
    const noBackup = await runCli(db, ['rollback', '--restore', '--yes']);
    expect(noBackup.code).toBe(1);
    expect(noBackup.stderr).toContain('[NO_PRE_UPGRADE_BACKUP]');
    const notApplied = await runCli(db, ['rollback', '--to', '0.7.4', '--yes']);
    expect(notApplied.code).toBe(1);
    expect(notApplied.stderr).toContain('is not applied to this database');
    expect((await runCli(db, ['db', 'validate'])).json).toMatchObject({ state: 'empty', applied: [] });
  });

  describe('on an upgraded database', () => {
    let before: Buffer;
    beforeAll(async () => {
      expect((await runCli(db, ['upgrade'])).json).toMatchObject({ ok: true });
      before = databaseBytes();
    });

    // Each names what is wrong and prints the usage of the command concerned (not the whole tree).
    it.each([
      [['db', 'migrate'], "unknown command 'migrate'", 'Usage: logic-ha db [options] [command]'],
      [
        ['db', 'plan', 'now'],
        "too many arguments for 'plan'. Expected 0 arguments but got 1.",
        'Usage: logic-ha db plan [options]',
      ],
      [['db', 'validate', '--fix'], "unknown option '--fix'", 'Usage: logic-ha db validate [options]'],
      [['db', 'plan', '--sql=yes'], "unknown option '--sql=yes'", 'Usage: logic-ha db plan [options]'],
      [
        ['upgrade', 'now'],
        "too many arguments for 'upgrade'. Expected 0 arguments but got 1.",
        'Usage: logic-ha upgrade [options]',
      ],
      [['upgrade', '--force'], "unknown option '--force'", 'Usage: logic-ha upgrade [options]'],
      [['rollback'], 'rollback needs exactly one of --to <migration> or --restore', 'Usage: logic-ha rollback --to'],
      [['rollback', '--to'], "option '--to <migration|version>' argument missing", 'Usage: logic-ha rollback --to'],
      [
        ['rollback', '--to', ''],
        "option '--to <migration|version>' argument '' is invalid. It needs a migration name or schema version.",
        'Usage: logic-ha rollback --to',
      ],
      [
        ['rollback', '--to', '0.9', '--yes'],
        "option '--to <migration|version>' argument '0.9' is invalid. It is not a migration of this build; use one of: 0.6.2 (CreatedBaselineSchema1590969600000)",
        'Usage: logic-ha rollback --to',
      ],
      [
        ['rollback', '--to', '0.7.4', '--restore'],
        'rollback needs exactly one of --to',
        'Usage: logic-ha rollback --to',
      ],
      [
        ['rollback', '--to', '0.7.4', '20261127-000000-000F'],
        '--to takes no backup id and no --target',
        'Usage: logic-ha rollback --to',
      ],
      [
        ['rollback', '--to', '0.7.4', '--target', '/tmp/x.sqlite'],
        '--to takes no backup id and no --target',
        'Usage: logic-ha rollback --to',
      ],
      [
        ['rollback', '--restore', 'a', 'b'],
        "too many arguments for 'rollback'. Expected 1 argument but got 2.",
        'logic-ha rollback --restore [<backup-id>]',
      ],
      [
        ['db', 'repair', '--mark-applied'],
        "option '--mark-applied <migration>' argument missing",
        'Usage: logic-ha db repair [options]',
      ],
    ])('%j is a usage error (exit 2): %s', async (args, message, usage) => {
      const run = await runCli(db, args);
      expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
      expect(run.stderr).toContain(`logic-ha: ${message}`);
      expect(run.stderr).toContain(usage);
      expect(databaseBytes().equals(before)).toBe(true);
    });

    it.each([
      [['rollback', '--restore', 'latest', '--yes'], '"latest" is not a backup id'],
      [['rollback', '--restore', '20200101-000000-000F', '--yes'], 'has no manifest'],
      [
        ['db', 'baseline'],
        `[NOTHING_TO_BASELINE]: nothing to baseline: it already has migration history (${MIGRATIONS.length} applied)`,
      ],
      [
        ['db', 'repair', '--mark-applied', 'Nope1'],
        '[MIGRATION_TARGET_UNKNOWN]: --mark-applied "Nope1" is not a pending migration of this build; pending: none',
      ],
      [
        ['db', 'repair', '--mark-reverted', 'Nope1'],
        '[MIGRATION_TARGET_UNKNOWN]: --mark-reverted "Nope1" is not an applied migration of this build; applied: CreatedBaselineSchema1590969600000,',
      ],
    ])('%j fails (exit 1) naming the problem: %s', async (args, message) => {
      const run = await runCli(db, args);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(message);
      expect(databaseBytes().equals(before)).toBe(true);
    });

    it('rollback without --yes on a closed input is not confirmed and changes nothing', async () => {
      const run = await runCli(db, ['rollback', '--to', '0.8'], { stdin: '' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('Type "yes" to go on');
      expect(run.stderr).toContain('not confirmed: nothing was changed');
      expect(databaseBytes().equals(before)).toBe(true);
    });
  });
});
