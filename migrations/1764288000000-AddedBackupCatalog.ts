import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { isSqlite } from './support/dialect';

/**
 * logic-ha's backup catalog: one row per backup, mirroring its manifest in storage. The
 * catalog is a fast index, not the truth: `backup catalog rebuild` recreates it from
 * storage alone.
 */
export class AddedBackupCatalog1764288000000 implements MigrationInterface {
  readonly schemaVersion = 'ha-2';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = isSqlite(queryRunner) ? '"' : '`';
    const id = (name: string) => `${q}${name}${q}`;
    await queryRunner.query(
      `CREATE TABLE ${id('logic_ha_backup')} (` +
        [
          `${id('id')} varchar(32) NOT NULL`,
          `${id('type')} varchar(16) NOT NULL`,
          `${id('state')} varchar(16) NOT NULL`,
          `${id('parentId')} varchar(32) NULL`,
          `${id('tag')} varchar(128) NULL`,
          `${id('engine')} varchar(16) NOT NULL`,
          `${id('triggeredBy')} varchar(16) NOT NULL`,
          `${id('startedAt')} datetime(3) NOT NULL`,
          `${id('finishedAt')} datetime(3) NULL`,
          `${id('verifiedAt')} datetime(3) NULL`,
          `${id('sizeBytes')} bigint NOT NULL DEFAULT 0`,
          `${id('fileCount')} int NOT NULL DEFAULT 0`,
          `${id('errorCode')} varchar(64) NULL`,
          `${id('error')} text NULL`,
          `${id('manifest')} longtext NULL`,
          `PRIMARY KEY (${id('id')})`,
        ].join(', ') +
        ')',
    );
    await queryRunner.query(
      `CREATE INDEX ${id('idx_backup_state_startedAt')} ON ${id('logic_ha_backup')} (${id('state')}, ${id('startedAt')})`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const q = isSqlite(queryRunner) ? '"' : '`';
    await queryRunner.query(`DROP TABLE ${q}logic_ha_backup${q}`);
  }
}
