import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { isSqlite } from './support/dialect';

/**
 * logic-ha's failover history: one row per failover or switchover, with each step's
 * duration. The topology file in DATA_DIR keeps the newest records too, so the history
 * survives the loss of the database it describes.
 */
export class AddedFailoverHistory1764374400000 implements MigrationInterface {
  readonly schemaVersion = 'ha-3';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = isSqlite(queryRunner) ? '"' : '`';
    const id = (name: string) => `${q}${name}${q}`;
    await queryRunner.query(
      `CREATE TABLE ${id('logic_ha_failover')} (` +
        [
          `${id('id')} varchar(40) NOT NULL`,
          `${id('kind')} varchar(16) NOT NULL`,
          `${id('reason')} text NOT NULL`,
          `${id('startedAt')} datetime(3) NOT NULL`,
          `${id('finishedAt')} datetime(3) NOT NULL`,
          `${id('oldPrimary')} varchar(255) NOT NULL`,
          `${id('newPrimary')} varchar(255) NULL`,
          `${id('epoch')} int NOT NULL`,
          `${id('outcome')} varchar(16) NOT NULL`,
          `${id('steps')} longtext NOT NULL`,
          `${id('error')} text NULL`,
          `PRIMARY KEY (${id('id')})`,
        ].join(', ') +
        ')',
    );
    await queryRunner.query(
      `CREATE INDEX ${id('idx_failover_startedAt')} ON ${id('logic_ha_failover')} (${id('startedAt')})`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const q = isSqlite(queryRunner) ? '"' : '`';
    await queryRunner.query(`DROP TABLE ${q}logic_ha_failover${q}`);
  }
}
