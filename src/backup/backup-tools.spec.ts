import { loadAppConfig } from '../config/app-config.factory';
import { createBackupStorage } from './backup-tools';
import { LocalBackupStorage } from './storage/local-backup.storage';
import { S3BackupStorage } from './storage/s3/s3-backup.storage';

const CWD = '/srv/logic-ha';

describe('createBackupStorage', () => {
  it('local by default, S3 with BACKUP_STORAGE=s3', () => {
    expect(createBackupStorage(loadAppConfig({}, CWD))).toBeInstanceOf(LocalBackupStorage);
    const s3 = loadAppConfig(
      { BACKUP_STORAGE: 's3', BACKUP_S3_BUCKET: 'backups-prod', BACKUP_S3_REGION: 'eu-west-1' },
      CWD,
    );
    expect(createBackupStorage(s3)).toBeInstanceOf(S3BackupStorage);
  });

  it('storage s3 without S3 settings is an error, never a quiet fallback to local', () => {
    const config = loadAppConfig({}, CWD);
    expect(() =>
      createBackupStorage({ ...config, backup: { ...config.backup, storage: 's3', s3: undefined } }),
    ).toThrow(/BACKUP_STORAGE=s3 but the S3 settings are missing/);
  });
});
