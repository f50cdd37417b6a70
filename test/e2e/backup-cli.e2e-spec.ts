import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type UpgradeDatabase, runCli } from '../support/upgrade-contract';

/** `backup …` through the built CLI on SQLite: restore targets and list paging. */
describe('backup CLI (SQLite)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-backup-cli-'));
  const sqlitePath = join(cwd, 'data', 'logic-ha.sqlite');
  const db: UpgradeDatabase = {
    cwd,
    config: { type: 'sqlite', sqlitePath },
    env: { DB_TYPE: 'sqlite', SQLITE_PATH: sqlitePath, DATA_DIR: join(cwd, 'data'), BACKUP_DIR: join(cwd, 'backups') },
    secrets: [],
  };
  let backupId: string;
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  beforeAll(async () => {
    mkdirSync(join(cwd, 'data'), { recursive: true });
    expect((await runCli(db, ['upgrade'])).code).toBe(0);
    const backup = await runCli(db, ['backup', 'run', 'full']);
    expect(backup.json).toMatchObject({ state: 'succeeded' });
    // Not a terminal: progress goes to stderr as JSON lines, at least one even for a short run.
    expect(backup.stderr).toMatch(/^\{"progress":\{"phase":"[a-z-]+","bytes":\d+/m);
    backupId = backup.json.id;
  });

  it('backup status prints what readiness reports: the newest backup and its age', async () => {
    const status = await runCli(db, ['backup', 'status']);
    expect(status.code).toBe(0);
    expect(status.json).toMatchObject({ newestSucceededId: backupId, newestRestoreVerifiedId: null });
    expect(typeof status.json.newestSucceededAgeSeconds).toBe('number');
  });

  describe('restore --target', () => {
    it('creates a missing parent folder, owner-only, instead of failing with a bare ENOENT', async () => {
      const target = join(cwd, 'restore', 'deeper', 'copy.sqlite');
      const run = await runCli(db, ['backup', 'restore', backupId, '--target', target]);
      expect(run.stderr).not.toContain('ENOENT');
      expect(run.code).toBe(0);
      expect(run.json).toMatchObject({ backupId, target });
      expect(run.stderr).toMatch(/^\{"progress":\{"phase":"[a-z-]+","bytes":\d+/m);
      expect(existsSync(target)).toBe(true);
      expect(statSync(join(cwd, 'restore', 'deeper')).mode & 0o777).toBe(0o700);
    });

    it('a dry run creates nothing', async () => {
      const target = join(cwd, 'dry', 'copy.sqlite');
      const run = await runCli(db, ['backup', 'restore', backupId, '--target', target, '--dry-run']);
      expect(run.json).toMatchObject({ dryRun: true, target });
      expect(existsSync(join(cwd, 'dry'))).toBe(false);
    });

    it('refuses a relative path, saying that it must be absolute', async () => {
      const run = await runCli(db, ['backup', 'restore', backupId, '--target', 'copy.sqlite']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        '[RESTORE_TARGET_REFUSED]: target must be an absolute path to a SQLite file (got "copy.sqlite"); relative paths are refused',
      );
      expect(existsSync(join(cwd, 'copy.sqlite'))).toBe(false);
    });

    it('restores into a parent folder reached through a symlink (/srv/restore -> /mnt/big)', async () => {
      mkdirSync(join(cwd, 'big-disk'));
      symlinkSync(join(cwd, 'big-disk'), join(cwd, 'linked'));
      const target = join(cwd, 'linked', 'copy.sqlite');
      const run = await runCli(db, ['backup', 'restore', backupId, '--target', target]);
      expect(run.code).toBe(0);
      expect(existsSync(join(cwd, 'big-disk', 'copy.sqlite'))).toBe(true);
    });

    it('refuses a parent that is a file, naming it', async () => {
      writeFileSync(join(cwd, 'plain-file'), '');
      const run = await runCli(db, ['backup', 'restore', backupId, '--target', join(cwd, 'plain-file', 'copy.sqlite')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`${join(cwd, 'plain-file')} is not a directory`);
    });

    it('the help states the absolute-path rule', async () => {
      const help = await runCli(db, ['backup', 'restore', '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('absolute path');
    });
  });

  describe('list --limit', () => {
    it('lists at most N backups, newest first', async () => {
      const all = JSON.parse((await runCli(db, ['backup', 'list'])).stdout) as { id: string }[];
      expect(all.length).toBeGreaterThanOrEqual(2);
      const one = await runCli(db, ['backup', 'list', '--limit', '1']);
      expect(one.code).toBe(0);
      expect((JSON.parse(one.stdout) as { id: string }[]).map((b) => b.id)).toEqual([all[0].id]);
    });

    it('a bad value is a usage error that changes nothing', async () => {
      const run = await runCli(db, ['backup', 'list', '--limit', 'all']);
      expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
      expect(run.stderr).toContain("option '--limit <n>' argument 'all' is invalid");
    });
  });

  describe('test-restore', () => {
    it('a malformed id is a usage error naming <id>', async () => {
      const run = await runCli(db, ['backup', 'test-restore', 'latest']);
      expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
      expect(run.stderr).toContain('<id> must be a backup id');
    });

    it('on SQLite it is refused with the reason, exit 1', async () => {
      const run = await runCli(db, ['backup', 'test-restore', backupId]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('SQLite');
    });
  });
});
