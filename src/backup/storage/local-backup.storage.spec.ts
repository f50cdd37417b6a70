import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupLock } from '../backup-lock';
import { MANIFEST_NAME } from '../manifest';
import { LocalBackupStorage } from './local-backup.storage';

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('LocalBackupStorage file modes', () => {
  let root: string;
  let previousUmask: number;

  // The usual 022 umask is what turned files into 0644 and folders into 0755.
  beforeEach(() => {
    previousUmask = process.umask(0o022);
    root = mkdtempSync(join(tmpdir(), 'logic-ha-storage-'));
  });
  afterEach(() => {
    process.umask(previousUmask);
    rmSync(root, { recursive: true, force: true });
  });

  it('creates BACKUP_DIR, each backup folder 0700 and every file 0600 (data files and the manifest)', async () => {
    const backupDir = join(root, 'outside-data-dir', 'backups');
    const release = await new BackupLock(backupDir).tryAcquire(() => undefined);
    await release!();
    const storage = new LocalBackupStorage(backupDir);
    const id = '20260601-120000-000F';
    const upload = await storage.upload(id, 'database.sqlite.gz');
    upload.stream.end(Buffer.from('data'));
    await new Promise((resolve) => upload.stream.on('finish', resolve));
    await upload.commit();
    await storage.writeManifest(id, '{}');

    expect(modeOf(backupDir).toString(8)).toBe('700');
    expect(modeOf(join(backupDir, id)).toString(8)).toBe('700');
    expect(modeOf(join(backupDir, id, 'database.sqlite.gz')).toString(8)).toBe('600');
    expect(modeOf(join(backupDir, id, MANIFEST_NAME)).toString(8)).toBe('600');
  });
});
