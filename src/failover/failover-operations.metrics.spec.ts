import { parsePrometheusText } from '../../test/support/prometheus-text';
import { MetricsRegistry } from '../common/metrics/metrics-registry';
import { FailoverOperationsMetrics } from './failover-operations.metrics';
import type { AcknowledgedPosition } from './guard/acknowledged-position';
import type { RejoinService } from './rejoin/rejoin.service';
import type { StandbyHealth, StandbyProblem } from './standby-health/standby-health';

describe('FailoverOperationsMetrics', () => {
  const setup = (active: boolean | null, problems: Partial<StandbyProblem>[], errant = new Map<string, boolean>()) => {
    const registry = new MetricsRegistry();
    const acknowledged = { semiSync: () => ({ active }) } as unknown as AcknowledgedPosition;
    const standbys = { problems: () => problems } as unknown as StandbyHealth;
    const rejoin = { errantByServer: () => errant } as unknown as RejoinService;
    const metrics = new FailoverOperationsMetrics(registry, acknowledged, standbys, rejoin);
    const scrape = async () => parsePrometheusText(await registry.text());
    return { metrics, scrape };
  };
  const value = (exposition: Awaited<ReturnType<ReturnType<typeof setup>['scrape']>>, name: string) =>
    exposition.samples.filter((s) => s.name === name).map((s) => ({ labels: s.labels, value: s.value }));

  it('reads semi-sync and the standby problems from their owners at scrape time', async () => {
    const off = await setup(false, [{ server: 'db2:3306', kind: 'stopped' }]).scrape();
    expect(value(off, 'logic_ha_semi_sync_active')).toEqual([{ labels: {}, value: 0 }]);
    expect(value(off, 'logic_ha_standby_problem')).toEqual([
      { labels: { server: 'db2:3306', kind: 'stopped' }, value: 1 },
    ]);
    // Before the first heartbeat nothing is known: no sample (absent), not a false 0.
    const unknown = await setup(null, []).scrape();
    expect(value(unknown, 'logic_ha_semi_sync_active')).toEqual([]);
    expect(value(unknown, 'logic_ha_standby_problem')).toEqual([]);
  });

  it('shows 1 per fenced server whose rejoin view is errant, 0 for the others, nothing without a fenced server', async () => {
    const errant = new Map([
      ['db1:3306', true],
      ['db3:3306', false],
    ]);
    const { scrape } = setup(true, [], errant);
    expect(value(await scrape(), 'logic_ha_rejoin_errant')).toEqual([
      { labels: { server: 'db1:3306' }, value: 1 },
      { labels: { server: 'db3:3306' }, value: 0 },
    ]);
    errant.clear(); // rejoined with a reclone, or no longer fenced
    expect(value(await scrape(), 'logic_ha_rejoin_errant')).toEqual([]);
  });

  it('counts the operations events: fallbacks, repairs, vetoes, rejoins, errant finds, settings, possible loss', async () => {
    const { metrics, scrape } = setup(true, []);
    metrics.onSemiSync({ primary: 'p', epoch: 1, active: false });
    metrics.onStandbyProblem({ server: 's', epoch: 1, problem: 'stopped', repaired: false });
    metrics.onStandbyProblem({ server: 's', epoch: 1, problem: 'stopped', repaired: true });
    metrics.onVetoed({ primary: 'p', epoch: 1, hook: 'FAILOVER_PRE_HOOK', exitCode: 3, reason: 'no', at: new Date() });
    metrics.onRejoined({ server: 'o', primary: 'p', epoch: 2, method: 'reclone' });
    metrics.onErrant({ server: 'o' });
    metrics.onReplicaConfigured({ server: 's' });
    metrics.onPossibleLoss();
    const text = await scrape();
    expect(value(text, 'logic_ha_semi_sync_changes_total')).toEqual([{ labels: { active: 'false' }, value: 1 }]);
    expect(value(text, 'logic_ha_standby_repairs_total')).toEqual([{ labels: { server: 's' }, value: 1 }]);
    expect(value(text, 'logic_ha_failover_vetoes_total')).toEqual([{ labels: {}, value: 1 }]);
    expect(value(text, 'logic_ha_rejoins_total')).toEqual([{ labels: { method: 'reclone' }, value: 1 }]);
    expect(value(text, 'logic_ha_errant_transactions_found_total')).toEqual([{ labels: { server: 'o' }, value: 1 }]);
    expect(value(text, 'logic_ha_replica_configuration_changes_total')).toEqual([
      { labels: { server: 's' }, value: 1 },
    ]);
    expect(value(text, 'logic_ha_failover_possible_loss_total')).toEqual([{ labels: {}, value: 1 }]);
  });
});
