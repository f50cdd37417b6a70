import { parsePrometheusText } from '../../test/support/prometheus-text';
import { MetricsRegistry } from '../common/metrics/metrics-registry';
import type { WebhookDeliveryStore } from './webhook-delivery.store';
import { WebhookMetrics } from './webhook.metrics';

describe('WebhookMetrics', () => {
  it('reports the delivery rows by status, the pending ones and the disabled endpoints at scrape time', async () => {
    const registry = new MetricsRegistry();
    let counts = new Map([
      ['delivered', 7],
      ['pending', 2],
    ]);
    const store = {
      countsByStatus: async () => counts,
      disabledEndpointCount: async () => 1,
    } as unknown as WebhookDeliveryStore;
    new WebhookMetrics(registry, store);
    const scrape = async () => parsePrometheusText(await registry.text()).samples;
    const pick = (samples: Awaited<ReturnType<typeof scrape>>, name: string) =>
      samples.filter((s) => s.name === name).map((s) => [s.labels.status ?? '', s.value]);
    const first = await scrape();
    expect(pick(first, 'logic_ha_webhook_deliveries')).toEqual([
      ['pending', 2],
      ['delivered', 7],
      ['failed', 0],
      ['disabled', 0],
    ]);
    expect(pick(first, 'logic_ha_webhook_pending_deliveries')).toEqual([['', 2]]);
    expect(pick(first, 'logic_ha_webhook_endpoints_disabled')).toEqual([['', 1]]);
    counts = new Map([['delivered', 9]]);
    expect(pick(await scrape(), 'logic_ha_webhook_pending_deliveries')).toEqual([['', 0]]);
  });
});
