import { join } from 'node:path';
import { type AppConfig } from '../config/app-config';
import { type DatabaseTopology } from '../database/topology/database-topology';
import type { MysqlEndpoint } from '../config/mysql-url';
import { BackupReader } from './backup-reader';
import { KeyRing } from './crypto/key-ring';
import { type BackupEngine } from './engines/backup-engine';
import { MysqlBackupEngine } from './engines/mysql/mysql-backup.engine';
import { MysqlRestoreEngine } from './engines/mysql/mysql-restore.engine';
import { SqliteBackupEngine } from './engines/sqlite/sqlite-backup.engine';
import { SqliteRestoreEngine } from './engines/sqlite/sqlite-restore.engine';
import { ClientTools } from './process/client-tools';
import { ProcessRunner } from './process/process-runner';
import { RestoreService } from './restore.service';
import { type BackupStorage } from './storage/backup-storage';
import { LocalBackupStorage } from './storage/local-backup.storage';
import { S3BackupStorage } from './storage/s3/s3-backup.storage';
import { createS3Client } from './storage/s3/s3-client';

/**
 * Factories shared by the Nest module and the CLI's offline commands (restore, verify),
 * which must work with no database: they need only the configuration and storage.
 */
export function createBackupStorage(config: AppConfig): BackupStorage {
  if (config.backup.storage === 'local') return new LocalBackupStorage(config.backup.directory);
  const s3 = config.backup.s3;
  // Never quietly local: backups the operator believes off-site would stay on this host.
  if (!s3) throw new Error('BACKUP_STORAGE=s3 but the S3 settings are missing (BACKUP_S3_BUCKET)');
  return new S3BackupStorage(s3, createS3Client(s3), { downloadClient: createS3Client(s3, {}, 'downloads') });
}

/** Storage and the configured master keys: what verify, restore and rekey read with. */
export function createBackupReader(config: AppConfig): BackupReader {
  return new BackupReader(createBackupStorage(config), KeyRing.fromConfig(config.backup.encryption));
}

export function createRestoreService(
  config: AppConfig,
  reader: BackupReader,
  runner = new ProcessRunner(),
  tools = new ClientTools(),
): RestoreService {
  return new RestoreService(
    reader,
    { mysql: new MysqlRestoreEngine(runner, tools), sqlite: new SqliteRestoreEngine() },
    join(config.dataDir, 'tmp'),
  );
}

/**
 * The source a backup reads: the primary of the topology at the time of the backup (so it
 * follows a failover), through the monitor's admin account when one is configured.
 */
export function createBackupEngine(
  config: AppConfig,
  runner: ProcessRunner,
  tools: ClientTools,
  topology?: DatabaseTopology,
): BackupEngine {
  const database = config.database;
  if (database.type === 'sqlite') return new SqliteBackupEngine(database.sqlitePath);
  const admin = config.monitorAccount;
  const primary = (): MysqlEndpoint => (topology?.replicated ? topology.primaryEndpoint() : database.primary);
  return new MysqlBackupEngine(
    () => (admin ? { ...primary(), user: admin.user, password: admin.password } : primary()),
    runner,
    tools,
  );
}
