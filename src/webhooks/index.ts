/** The webhooks feature's public face (see src/backup/index.ts). */
export { WebhooksModule } from './webhooks.module';
export { WebhookDeliveryEntity } from './webhook-delivery.entity';
export { WebhookEndpointEntity } from './webhook-endpoint.entity';
