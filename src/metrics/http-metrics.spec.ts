import type { HttpAdapterHost } from '@nestjs/core';
import { parsePrometheusText } from '../../test/support/prometheus-text';
import { MetricsRegistry } from '../common/metrics/metrics-registry';
import { HttpRequestMetrics, methodLabel, routeLabel } from './http-metrics';

type Hook = (request: unknown, reply: unknown, done: () => void) => void;

function withFastify() {
  const hooks: Record<string, Hook> = {};
  const fastify = { addHook: (name: string, hook: Hook) => (hooks[name] = hook) };
  const adapterHost = { httpAdapter: { getInstance: () => fastify } } as unknown as HttpAdapterHost;
  const registry = new MetricsRegistry();
  new HttpRequestMetrics(adapterHost, registry).onModuleInit();
  return { hooks, registry };
}

describe('HTTP request metrics', () => {
  it('labels by route pattern, or `unmatched` when no route served the URL', () => {
    expect(routeLabel({ routeOptions: { url: '/api/v1/configs/:logicId' } } as never)).toBe('/api/v1/configs/:logicId');
    expect(routeLabel({ routeOptions: {} } as never)).toBe('unmatched');
    expect(routeLabel({} as never)).toBe('unmatched');
  });

  it.each([
    ['GET', 'GET'],
    ['DELETE', 'DELETE'],
    ['PROPFIND', 'OTHER'],
  ])('method %s -> %s', (method, label) => {
    expect(methodLabel(method)).toBe(label);
  });

  it('observes every answer in the onResponse hook, in seconds', async () => {
    const { hooks, registry } = withFastify();
    const done = jest.fn();
    const answer = (url: string | undefined, statusCode: number, elapsedTime: number) =>
      hooks.onResponse({ method: 'GET', routeOptions: { url } }, { statusCode, elapsedTime }, done);
    answer('/health/live', 200, 2);
    answer('/health/live', 200, 30);
    answer(undefined, 404, 1);
    expect(done).toHaveBeenCalledTimes(3);
    const metrics = parsePrometheusText(await registry.text());
    const live = { method: 'GET', route: '/health/live', status_code: '200' };
    expect(metrics.value('logic_ha_http_request_duration_seconds_count', live)).toBe(2);
    expect(metrics.value('logic_ha_http_request_duration_seconds_sum', live)).toBeCloseTo(0.032);
    expect(metrics.value('logic_ha_http_request_duration_seconds_bucket', { ...live, le: '0.0025' })).toBe(1);
    expect(metrics.value('logic_ha_http_request_duration_seconds_count', { route: 'unmatched' })).toBe(1);
  });

  it('adds no hook without an HTTP server (the CLI)', () => {
    const registry = new MetricsRegistry();
    const adapterHost = { httpAdapter: undefined } as unknown as HttpAdapterHost;
    expect(() => new HttpRequestMetrics(adapterHost, registry).onModuleInit()).not.toThrow();
  });
});
