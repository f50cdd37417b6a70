import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * `logic_ha_webhook_endpoint`: an endpoint that answered 410 Gone, which the spec reads as
 * "stop sending". A row exists only while the endpoint is disabled; removing it (the admin
 * route, or a new URL, which is a new id) enables the endpoint again.
 */
@Entity({ name: 'logic_ha_webhook_endpoint' })
export class WebhookEndpointEntity {
  @PrimaryColumn({ type: 'varchar', length: 16 })
  endpoint: string;

  @Column({ type: 'datetime', precision: 3 })
  disabledAt: Date;

  @Column({ type: 'text' })
  disabledReason: string;
}
