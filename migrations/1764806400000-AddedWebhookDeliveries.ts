import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { isSqlite, runAll } from './support/dialect';

/**
 * ha-7: Standard Webhooks deliveries. One row per event and endpoint, written before the
 * first attempt so pending deliveries survive a restart (and a failover: the table lives in
 * the replicated database); the endpoints a 410 Gone disabled. Two new tables, nothing else.
 */
export class AddedWebhookDeliveries1764806400000 implements MigrationInterface {
  readonly schemaVersion = 'ha-7';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = isSqlite(queryRunner) ? '"' : '`';
    const id = (name: string) => `${q}${name}${q}`;
    await runAll(queryRunner, [
      `CREATE TABLE ${id('logic_ha_webhook_delivery')} (` +
        [
          `${id('messageId')} varchar(40) NOT NULL`,
          `${id('endpoint')} varchar(16) NOT NULL`,
          `${id('type')} varchar(64) NOT NULL`,
          `${id('payload')} longtext NOT NULL`,
          `${id('status')} varchar(16) NOT NULL`,
          `${id('attempts')} int NOT NULL`,
          `${id('createdAt')} datetime(3) NOT NULL`,
          `${id('nextAttemptAt')} datetime(3) NULL`,
          `${id('lastAttemptAt')} datetime(3) NULL`,
          `${id('deliveredAt')} datetime(3) NULL`,
          `${id('responseStatus')} int NULL`,
          `${id('lastError')} text NULL`,
          `${id('claimedBy')} varchar(128) NULL`,
          `${id('claimedUntil')} datetime(3) NULL`,
          `PRIMARY KEY (${id('messageId')}, ${id('endpoint')})`,
        ].join(', ') +
        ')',
      `CREATE INDEX ${id('idx_webhook_delivery_due')} ON ${id('logic_ha_webhook_delivery')} (${id('status')}, ${id('nextAttemptAt')})`,
      `CREATE INDEX ${id('idx_webhook_delivery_createdAt')} ON ${id('logic_ha_webhook_delivery')} (${id('createdAt')})`,
      `CREATE TABLE ${id('logic_ha_webhook_endpoint')} (` +
        [
          `${id('endpoint')} varchar(16) NOT NULL`,
          `${id('disabledAt')} datetime(3) NOT NULL`,
          `${id('disabledReason')} text NOT NULL`,
          `PRIMARY KEY (${id('endpoint')})`,
        ].join(', ') +
        ')',
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const q = isSqlite(queryRunner) ? '"' : '`';
    await runAll(queryRunner, [
      `DROP TABLE ${q}logic_ha_webhook_endpoint${q}`,
      `DROP TABLE ${q}logic_ha_webhook_delivery${q}`,
    ]);
  }
}
