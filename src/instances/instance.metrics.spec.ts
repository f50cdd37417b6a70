import { parsePrometheusText } from '../../test/support/prometheus-text';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { MetricsRegistry } from '../common/metrics/metrics-registry';
import { InstanceMetrics, outcomeOf } from './instance.metrics';

describe('InstanceMetrics', () => {
  const setup = () => {
    const registry = new MetricsRegistry();
    return { metrics: new InstanceMetrics(registry), scrape: async () => parsePrometheusText(await registry.text()) };
  };

  it.each([
    [new DomainError('INSTANCE_NOT_FOUND', ErrorKind.NotFound, 'x'), 'rejected'],
    [new DomainError('CONFLICT', ErrorKind.Conflict, 'x'), 'rejected'],
    [new DomainError('DATABASE_UNAVAILABLE', ErrorKind.Unavailable, 'x'), 'failed'],
    [new DomainError('INTERNAL', ErrorKind.Internal, 'x'), 'failed'],
    [new Error('driver blew up'), 'failed'],
  ])('%s is %s', (error, expected) => {
    expect(outcomeOf(error)).toBe(expected);
  });

  it('counts each lifecycle call by outcome and passes results and errors through', async () => {
    const { metrics, scrape } = setup();
    await expect(metrics.track('start', async () => 'row')).resolves.toBe('row');
    const missing = new DomainError('INSTANCE_NOT_FOUND', ErrorKind.NotFound, 'no such pair');
    await expect(metrics.track('next', () => Promise.reject(missing))).rejects.toBe(missing);
    await expect(metrics.track('stop', () => Promise.reject(new Error('db')))).rejects.toThrow('db');
    const seen = await scrape();
    expect(seen.value('logic_ha_instance_operations_total', { operation: 'start', outcome: 'ok' })).toBe(1);
    expect(seen.value('logic_ha_instance_operations_total', { operation: 'next', outcome: 'rejected' })).toBe(1);
    expect(seen.value('logic_ha_instance_operations_total', { operation: 'stop', outcome: 'failed' })).toBe(1);
    expect(seen.value('logic_ha_instance_operations_total', { operation: 'stop', outcome: 'ok' })).toBe(0);
  });

  it('takes the long-running count and the retry claims from the jobs’ reports', async () => {
    const { metrics, scrape } = setup();
    metrics.jobFinished('long-running', { emitted: 4 });
    metrics.jobFinished('retry', { candidates: 5, claimed: 3, skipped: 2 });
    metrics.jobFinished('retry', { candidates: 1, claimed: 1, skipped: 0 });
    metrics.jobFinished('cleanup', { deleted: 9 });
    let seen = await scrape();
    expect(seen.value('logic_ha_instances_long_running')).toBe(4);
    expect(seen.value('logic_ha_instance_retry_claims_total', { outcome: 'claimed' })).toBe(4);
    expect(seen.value('logic_ha_instance_retry_claims_total', { outcome: 'skipped' })).toBe(2);
    metrics.jobFinished('long-running', { emitted: 0 });
    seen = await scrape();
    expect(seen.value('logic_ha_instances_long_running')).toBe(0);
  });
});
