import { HealthIndicatorService } from '@nestjs/terminus';
import { FakeClock } from '../../test/support/fake-clock';
import { InMemoryTopologyFile, replicatedConfig } from '../../test/support/failover-fakes';
import { DatabaseTopology } from '../database/topology/database-topology';
import type { PendingFailover } from '../database/topology/topology-state';
import type { AppAccountCheck } from './app-account.check';
import type { AppPool } from './app-pool';
import { AutomaticFailover } from './automatic-failover';
import type { FailoverMonitor } from './failover-monitor.service';
import type { FailoverRunner } from './failover-runner';
import { FailoverStatusService } from './failover-status.service';
import { FailoverIndicator } from './failover.indicator';
import type { Fencer } from './fencer';
import type { RejoinService } from './rejoin/rejoin.service';
import type { StandbyHealth } from './standby-health/standby-health';

const P = '127.0.0.1:1';
const S = '127.0.0.1:2';

async function world() {
  const clock = new FakeClock(new Date('2026-11-27T12:00:00Z'));
  const config = replicatedConfig(1, { heartbeatIntervalMs: 1000 });
  const topology = new DatabaseTopology(config, new InMemoryTopologyFile().asStore(), clock);
  await topology.ready();
  const runner = { inProgress: false };
  const monitor = {
    disabledReason: null,
    snapshot: () => ({
      primary: { key: topology.primaryKey, reachable: true, heartbeat: { readOnly: true } },
      standbys: [],
      verdict: { kind: 'healthy' },
      misses: 0,
      windowMs: 3000,
      blockedReason: null,
      lastTickAt: null,
      warnings: ['a monitor warning'],
      semiSync: null,
      acknowledgedPosition: '',
      replicaConfiguration: null,
    }),
  };
  const status = new FailoverStatusService(
    config,
    topology,
    monitor as unknown as FailoverMonitor,
    runner as unknown as FailoverRunner,
    { view: () => null } as unknown as Fencer,
    { switching: false } as unknown as AppPool,
    new AutomaticFailover(topology),
    { result: null } as unknown as AppAccountCheck,
    clock,
    { view: () => null } as unknown as RejoinService,
  );
  const indicator = new FailoverIndicator(new HealthIndicatorService(), status, {
    problems: () => [],
  } as unknown as StandbyHealth);
  return { clock, topology, runner, status, indicator };
}

const left: PendingFailover = {
  id: 'fo-left',
  candidate: S,
  oldPrimary: P,
  startedAt: '2026-11-27T11:59:59.000Z',
  by: null,
  step: 'enable-writes',
  stepAt: '2026-11-27T12:00:00.000Z',
};

describe('FailoverStatusService: an interrupted failover', () => {
  it('shows no pending failover, no warning and a ready node that is not degraded without an intent', async () => {
    const { status, indicator } = await world();
    expect(status.status()).toMatchObject({ pendingFailover: null, warnings: ['a monitor warning'] });
    expect(indicator.check('failover').failover).toMatchObject({
      status: 'up',
      degraded: false,
      pendingFailover: null,
    });
  });

  it('shows the intent at once, and warns (degraded, still up) once it outlived one tick', async () => {
    const { clock, topology, status, indicator } = await world();
    await topology.update((state) => ({ ...state, primary: S, epoch: 1, pending: left }));
    expect(status.status()).toMatchObject({
      pendingFailover: { id: 'fo-left', step: 'enable-writes', candidate: S, oldPrimary: P, startedAt: left.startedAt },
      warnings: ['a monitor warning'],
    });
    clock.advance(1001);
    const warning = `an interrupted failover fo-left is pending at step enable-writes: ${S} is the primary but not yet writable: retried at each heartbeat by the leader`;
    expect(status.status()).toMatchObject({ warnings: ['a monitor warning', warning] });
    expect(indicator.check('failover').failover).toMatchObject({
      status: 'up',
      degraded: true,
      pendingFailover: warning,
    });
  });

  it('says what it waits for, and says nothing while a failover runs (its own intent)', async () => {
    const { clock, topology, runner, status } = await world();
    await topology.update((state) => ({
      ...state,
      pending: { ...left, step: 'stop-io-thread' },
      control: { ...state.control, maintenance: true },
    }));
    clock.advance(5000);
    expect(status.pendingFailoverWarning()).toBe(
      'an interrupted failover fo-left is pending at step stop-io-thread: waiting for maintenance mode to end',
    );
    runner.inProgress = true;
    expect(status.pendingFailoverWarning()).toBeNull();
  });
});
