import { Injectable } from '@nestjs/common';
import { MetricsRegistry } from '../common/metrics/metrics-registry';
import { perScrape } from '../common/metrics/scrape-snapshot';
import { DELIVERY_STATUSES } from './webhook-delivery.entity';
import { WebhookDeliveryStore } from './webhook-delivery.store';

/**
 * Webhook deliveries as metrics, read from the delivery rows at scrape time (they are the
 * state every node shares, so each node reports the same numbers): rows by status, the
 * pending ones (a receiver that stays down makes it grow), and endpoints a 410 disabled.
 */
@Injectable()
export class WebhookMetrics {
  constructor(metrics: MetricsRegistry, store: WebhookDeliveryStore) {
    const counts = perScrape(() => store.countsByStatus());
    metrics.sampledGauge({
      name: 'logic_ha_webhook_deliveries',
      help: 'Webhook delivery rows by status: delivered, failed (retries exhausted), disabled (endpoint answered 410), pending',
      labelNames: ['status'],
      read: async () => {
        const now = await counts();
        return DELIVERY_STATUSES.map((status) => ({ labels: { status }, value: now.get(status) ?? 0 }));
      },
    });
    metrics.sampledGauge({
      name: 'logic_ha_webhook_pending_deliveries',
      help: 'Webhook deliveries waiting for their first or next attempt',
      read: async () => [{ value: (await counts()).get('pending') ?? 0 }],
    });
    metrics.sampledGauge({
      name: 'logic_ha_webhook_endpoints_disabled',
      help: 'Webhook endpoints disabled by a 410 answer (re-enabled by POST /api/v1/webhooks/endpoints/:id/enable)',
      read: async () => [{ value: await store.disabledEndpointCount() }],
    });
  }
}
