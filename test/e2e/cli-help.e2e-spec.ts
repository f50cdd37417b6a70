import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type UpgradeDatabase, runCli } from '../support/upgrade-contract';

/**
 * Help, version and usage errors of the built CLI (each case is a process of a few
 * seconds, so one or two examples per behaviour). None of these reads the configuration
 * or opens a database: they run with an empty environment in an empty directory.
 */
describe('CLI help and usage', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-cli-help-'));
  const noConfig: UpgradeDatabase = {
    cwd,
    config: { type: 'sqlite', sqlitePath: join(cwd, 'none.sqlite') },
    env: {},
    secrets: [],
  };
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(noConfig, args, { env });
  const GROUPS = ['instances', 'backup', 'failover', 'db', 'upgrade', 'rollback'];
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it.each([[['--help']], [['help']]])(
    '%j prints every command group and the exit codes on stdout (exit 0)',
    async (args) => {
      const run = await cli(args);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(run.stdout).toContain('Usage: logic-ha [options] [command]');
      for (const group of GROUPS) expect(run.stdout).toMatch(new RegExp(`^  ${group} `, 'm'));
      expect(run.stdout).toContain('2 usage error, 78 invalid configuration');
    },
  );

  it.each([[['backup', '--help']], [['help', 'backup']]])(
    "%j prints the backup group's commands (exit 0)",
    async (args) => {
      const run = await cli(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Usage: logic-ha backup [options] [command]');
      for (const command of ['run', 'list', 'verify', 'restore', 'expire', 'catalog'])
        expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
      expect(run.stdout).not.toContain('rollback');
    },
  );

  it('<command> --help prints its options', async () => {
    const run = await cli(['backup', 'restore', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: logic-ha backup restore [options] <id>');
    expect(run.stdout).toMatch(
      /--target <mysql:\/\/…\|\/path\.sqlite>\s+where to: a MySQL URL, or the absolute path\s+of a SQLite file \(relative paths are\s+refused/,
    );
  });

  it('--version prints the version from package.json (exit 0)', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    const run = await cli(['--version']);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: `${version}\n` });
  });

  it.each([['backup'], ['db']])("%s alone prints that group's usage on stderr (exit 2)", async (group) => {
    const run = await cli([group]);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
    expect(run.stderr).toMatch(new RegExp(`^Usage: logic-ha ${group} \\[options\\] \\[command\\]`));
    expect(run.stderr).not.toContain('unknown command');
  });

  it('no command at all prints the top-level usage (exit 2)', async () => {
    const run = await cli([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Usage: logic-ha [options] [command]');
  });

  it('a usage error prints the message and the usage of that command only (exit 2)', async () => {
    const run = await cli(['backup', 'list', '--bogus']);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
    expect(run.stderr).toMatch(/^logic-ha: unknown option '--bogus'\n\nUsage: logic-ha backup list \[options\]/);
    expect(run.stderr).not.toMatch(/restore|rollback|db plan/);
    expect(run.stderr.trim().split('\n').length).toBeLessThan(15);
  });

  it('an unknown command names it', async () => {
    const run = await cli(['backup', 'lsit']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("logic-ha: unknown command 'lsit'");
    expect(run.stderr).toContain('Usage: logic-ha backup [options] [command]');
  });

  it.each([['0.9'], ['0.7']])(
    'rollback --to %s (no such migration in this build) is a usage error (exit 2)',
    async (to) => {
      const run = await cli(['rollback', '--to', to, '--yes']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        `option '--to <migration|version>' argument '${to}' is invalid. It is not a migration of this build; use one of: 0.6.2`,
      );
    },
  );

  it.each([['0'], ['1001'], ['1.5'], ['ten']])(
    'backup list --limit %j is a usage error naming --limit (exit 2)',
    async (limit) => {
      const run = await cli(['backup', 'list', '--limit', limit]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        `option '--limit <n>' argument '${limit}' is invalid. It must be a whole number from 1 to 1000.`,
      );
    },
  );

  it('a bad configuration still exits 78, once a command runs; help does not read it', async () => {
    expect((await cli(['backup', 'list'], { DB_TYPE: 'oracle' })).code).toBe(78);
    expect((await cli(['backup', '--help'], { DB_TYPE: 'oracle' })).code).toBe(0);
  });
});
