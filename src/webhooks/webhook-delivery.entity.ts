import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Where a delivery stands; `disabled`: its endpoint answered 410 Gone (this or an earlier delivery). */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'disabled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * `logic_ha_webhook_delivery`: one event for one endpoint. Written before the first attempt,
 * so a restart resumes it; `messageId` (the `webhook-id` header) is the same on every attempt
 * and for every endpoint, so a receiver can drop repeats.
 */
@Entity({ name: 'logic_ha_webhook_delivery' })
@Index('idx_webhook_delivery_due', ['status', 'nextAttemptAt'])
@Index('idx_webhook_delivery_createdAt', ['createdAt'])
export class WebhookDeliveryEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  messageId: string;

  /** The endpoint's id (sha256 of its URL, 16 hex digits): never the URL, which may hold a token. */
  @PrimaryColumn({ type: 'varchar', length: 16 })
  endpoint: string;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  /** The exact body sent (and signed) on every attempt. longtext in the migration. */
  @Column({ type: 'text' })
  payload: string;

  @Column({ type: 'varchar', length: 16 })
  status: DeliveryStatus;

  @Column({ type: 'int' })
  attempts: number;

  @Column({ type: 'datetime', precision: 3 })
  createdAt: Date;

  /** When the next attempt is due; null once the delivery is settled. */
  @Column({ type: 'datetime', precision: 3, nullable: true })
  nextAttemptAt: Date | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  lastAttemptAt: Date | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  deliveredAt: Date | null;

  /** The receiver's HTTP status on the last attempt; null when it never answered (timeout, refused). */
  @Column({ type: 'int', nullable: true })
  responseStatus: number | null;

  @Column({ type: 'text', nullable: true })
  lastError: string | null;

  /** The node sending it right now, until `claimedUntil`: two nodes never send the same row at once. */
  @Column({ type: 'varchar', length: 128, nullable: true })
  claimedBy: string | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  claimedUntil: Date | null;
}
