import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsRegistry } from '../common/metrics/metrics-registry';
import { perScrape } from '../common/metrics/scrape-snapshot';
import { DELIVERY_STATUSES, type DeliveryStatus } from './webhook-delivery.entity';
import { WebhookDeliveryStore } from './webhook-delivery.store';

/**
 * Webhook deliveries as metrics, read from the delivery rows at scrape time (they are the
 * state every node shares, so each node reports the same numbers): rows by status, the
 * pending ones (a receiver that stays down makes it grow), and endpoints a 410 disabled.
 */
/** An attempt's outcome as counted: a pending row after an attempt is a retry. */
export const DELIVERY_OUTCOMES = ['delivered', 'retry', 'failed', 'disabled'] as const;
type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

@Injectable()
export class WebhookMetrics {
  private readonly outcomes: Counter<'outcome'>;

  constructor(metrics: MetricsRegistry, store: WebhookDeliveryStore) {
    // A real counter, so increase() sees a failure (the row gauges above can fall when rows are purged).
    this.outcomes = metrics.counter({
      name: 'logic_ha_webhook_delivery_outcomes_total',
      help: 'Delivery attempts this node recorded, by outcome: delivered, retry (scheduled again), failed (gave up), disabled (410 Gone or a disabled endpoint)',
      labelNames: ['outcome'],
    });
    // Every outcome starts at 0, so the first failure is an increase Prometheus can see.
    for (const outcome of DELIVERY_OUTCOMES) this.outcomes.inc({ outcome }, 0);
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

  /** Counts an attempt's recorded outcome (called by the dispatcher). */
  countOutcome(status: DeliveryStatus): void {
    const outcome: DeliveryOutcome = status === 'pending' ? 'retry' : status;
    this.outcomes.inc({ outcome });
  }
}
