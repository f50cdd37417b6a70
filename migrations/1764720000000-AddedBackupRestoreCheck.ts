import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { isSqlite, runAll } from './support/dialect';

const COLUMNS: [string, string][] = [
  ['restoreCheckedAt', 'datetime(3) NULL'],
  ['restoreVerifiedAt', 'datetime(3) NULL'],
  ['restoreCheckError', 'text NULL'],
  ['restoreCheckDetail', 'longtext NULL'],
];

/**
 * ha-6: the outcome of the newest test restore of a backup (restored into a scratch
 * database and compared with the fingerprints its manifest recorded): when it ran, when it
 * last passed, why it failed, and the per-table comparison (JSON). Nullable columns only:
 * existing rows simply have never been test-restored.
 */
export class AddedBackupRestoreCheck1764720000000 implements MigrationInterface {
  readonly schemaVersion = 'ha-6';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = isSqlite(queryRunner) ? '"' : '`';
    // One ALTER per column: SQLite adds only one at a time.
    await runAll(
      queryRunner,
      COLUMNS.map(([name, type]) => `ALTER TABLE ${q}logic_ha_backup${q} ADD COLUMN ${q}${name}${q} ${type}`),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const q = isSqlite(queryRunner) ? '"' : '`';
    await runAll(
      queryRunner,
      [...COLUMNS].reverse().map(([name]) => `ALTER TABLE ${q}logic_ha_backup${q} DROP COLUMN ${q}${name}${q}`),
    );
  }
}
