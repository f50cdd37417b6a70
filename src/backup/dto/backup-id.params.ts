import { Matches } from 'class-validator';
import { BACKUP_ID_PATTERN } from '../backup-id';

export class BackupIdParams {
  @Matches(BACKUP_ID_PATTERN, { message: 'id must be a backup id such as 20261127-020000-000F' })
  id: string;
}

export class RestoreJobIdParams {
  @Matches(/^restore-\d{13}$/, { message: 'id must be a restore job id such as restore-1795745400000' })
  id: string;
}

export class TestRestoreJobIdParams {
  @Matches(/^test-restore-\d{13}$/, { message: 'id must be a test restore job id such as test-restore-1795745400000' })
  id: string;
}
