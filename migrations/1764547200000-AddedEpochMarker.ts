import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { isSqlite } from './support/dialect';

/**
 * ha-5: logic-ha's epoch marker. Each primary change (failover or switchover) inserts one
 * row on the new primary, through the monitor's admin connection, once it accepts writes:
 * the epoch it reached, the new primary (`host:port`), whether a single node or a cluster
 * manages the database, and which cluster node wrote it. Replication carries the row to
 * every standby, so any server answers "which epoch was recorded last, and by whom".
 *
 * One row per change rather than one row updated in place: the epoch is the primary key,
 * so a late writer (a deposed leader) cannot overwrite or erase a newer record, and two
 * writers of the same epoch collide; the newest row is the marker, the rest a short
 * history (one row per failover). On SQLite the table exists for the same schema on both
 * engines; nothing writes it there (no failover without replication).
 */
export class AddedEpochMarker1764547200000 implements MigrationInterface {
  readonly schemaVersion = 'ha-5';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = isSqlite(queryRunner) ? '"' : '`';
    const id = (name: string) => `${q}${name}${q}`;
    await queryRunner.query(
      `CREATE TABLE ${id('logic_ha_epoch')} (` +
        [
          `${id('epoch')} int NOT NULL`,
          `${id('primaryServer')} varchar(255) NOT NULL`,
          `${id('managedBy')} varchar(16) NOT NULL`,
          `${id('writer')} varchar(128) NULL`,
          `${id('recordedAt')} datetime(3) NOT NULL`,
          `PRIMARY KEY (${id('epoch')})`,
        ].join(', ') +
        ')',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const q = isSqlite(queryRunner) ? '"' : '`';
    await queryRunner.query(`DROP TABLE ${q}logic_ha_epoch${q}`);
  }
}
