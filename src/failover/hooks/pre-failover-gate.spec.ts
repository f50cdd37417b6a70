import { StandbyHealth } from '../standby-health/standby-health';
import { AcknowledgedPosition } from '../guard/acknowledged-position';
import { ReplicaConfigurer } from '../replicas/replica-configurer';
import { Logger } from '@nestjs/common';
import type { Repository } from 'typeorm';
import { FakeClock } from '../../../test/support/fake-clock';
import {
  FakeDataSourceSwitch,
  InMemoryTopologyFile,
  RecordingEventBus,
  SwitchableLeadership,
  replicatedConfig,
} from '../../../test/support/failover-fakes';
import { FakeGtidStates } from '../../../test/support/fake-gtid-states';
import { FakeServerProbe, replicaStatus } from '../../../test/support/fake-server-probe';
import type { AppConfig, FailoverHooksConfig } from '../../config/app-config';
import type { DataSourceSwitch } from '../../database/data-source-switch';
import { DatabaseTopology } from '../../database/topology/database-topology';
import type { PendingFailover } from '../../database/topology/topology-state';
import { AppPool } from '../app-pool';
import { AutomaticFailover } from '../automatic-failover';
import type { FailoverHistoryEntity } from '../failover-history.entity';
import { FailoverHistoryService } from '../failover-history.service';
import { FailoverMonitor } from '../failover-monitor.service';
import type { FailoverRunner } from '../failover-runner';
import { Fencer } from '../fencer';
import { type CommandRunner } from './command-runner';
import { FailoverHooks } from './failover-hooks';
import { FakeCommandRunner } from './fake-command-runner';
import { MIN_VETO_HOLD_MS, PreFailoverGate } from './pre-failover-gate';
import { ShellCommandRunner } from './shell-command-runner';

const P = '127.0.0.1:1';
const S = '127.0.0.1:2';
const COOLDOWN_MS = 60_000;

function hooked(hooks: Partial<FailoverHooksConfig>): AppConfig {
  return {
    ...replicatedConfig(1, { cooldownMs: COOLDOWN_MS }),
    failoverHooks: { pre: null, post: null, failed: null, timeoutMs: 10_000, ...hooks },
  };
}

/** The real monitor and gate, a fake probe and runner; the hook runner is a fake unless a real one is given. */
async function world(config: AppConfig, commands: CommandRunner = new FakeCommandRunner()) {
  const clock = new FakeClock(new Date('2026-11-29T12:00:00Z'));
  const file = new InMemoryTopologyFile();
  const topology = new DatabaseTopology(config, file.asStore(), clock);
  await topology.ready();
  const leadership = new SwitchableLeadership();
  const probe = new FakeServerProbe().add(P).add(S, { readOnly: true, replica: replicaStatus() });
  const events = new RecordingEventBus();
  const failovers: string[] = [];
  const runner = {
    inProgress: false,
    // The flag itself is the real runner's (failover-runner.spec.ts): here work just runs.
    tryExclusive: async <T>(_what: string, work: () => Promise<T>) => work(),
    failover: async (reason: string) => void failovers.push(reason),
    finishPersisted: async (_pending: PendingFailover) => undefined,
    abandonPending: async (_pending: PendingFailover) => undefined,
  } as unknown as FailoverRunner;
  const table = { save: async () => undefined } as unknown as Repository<FailoverHistoryEntity>;
  const history = new FailoverHistoryService(topology, table);
  const hooks = new FailoverHooks(config, commands);
  const gate = new PreFailoverGate(config, hooks, topology, history, events.asBus(), clock, leadership);
  const pool = new AppPool(new FakeDataSourceSwitch() as unknown as DataSourceSwitch, topology);
  const monitor = new FailoverMonitor(
    config,
    topology,
    probe,
    runner,
    new Fencer(topology, probe, events.asBus()),
    pool,
    new AutomaticFailover(topology),
    events.asBus(),
    clock,
    true,
    leadership,
    new AcknowledgedPosition(events.asBus(), clock),
    new ReplicaConfigurer(config, topology, probe, events.asBus(), clock),
    new StandbyHealth(config, topology, probe, events.asBus(), clock, new FakeGtidStates(probe)),
    gate,
  );
  const ticks = async (count: number, primaryTalks: () => boolean) => {
    for (let i = 0; i < count; i++) {
      clock.advance(1000);
      if (primaryTalks()) probe.server(S).replica!.receivedHeartbeats++;
      await monitor.tick();
    }
  };
  /** The primary dies (the standby's IO thread reconnecting too): a confirmed death at the third missed heartbeat. */
  const killPrimary = async () => {
    await ticks(1, () => true);
    probe.server(P).up = false;
    probe.server(S).replica!.ioRunning = 'Connecting';
    await ticks(3, () => false);
  };
  const revivePrimary = async () => {
    probe.server(P).up = true;
    probe.server(S).replica!.ioRunning = 'Yes';
    await ticks(1, () => true);
  };
  return { clock, topology, events, failovers, monitor, gate, ticks, killPrimary, revivePrimary, probe, leadership };
}

describe('FAILOVER_PRE_HOOK before an automatic failover', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('lets the failover go when the hook exits 0, after giving it the event on stdin and as LOGIC_HA_* variables', async () => {
    const commands = new FakeCommandRunner();
    const { failovers, killPrimary } = await world(hooked({ pre: '/etc/logic-ha/pre.sh' }), commands);
    await killPrimary();
    expect(failovers).toHaveLength(1);
    expect(commands.requests).toHaveLength(1);
    expect(commands.requests[0]).toMatchObject({ command: '/etc/logic-ha/pre.sh', timeoutMs: 10_000 });
    expect(commands.event(0)).toMatchObject({
      event: 'pre-failover',
      kind: 'failover',
      failoverId: null,
      oldPrimary: P,
      newPrimary: null,
      epoch: 0,
      clusterNode: 'node-a',
    });
    expect(commands.event(0).reason).toMatch(/3 heartbeats missed/);
    expect(commands.requests[0].env).toMatchObject({
      LOGIC_HA_HOOK: 'FAILOVER_PRE_HOOK',
      LOGIC_HA_EVENT: 'pre-failover',
      LOGIC_HA_OLD_PRIMARY: P,
      LOGIC_HA_NEW_PRIMARY: '',
      LOGIC_HA_EPOCH: '0',
      LOGIC_HA_CLUSTER_NODE: 'node-a',
    });
  });

  it('a non-zero exit vetoes: no failover, the veto in the history with exit code and output, db.failover-vetoed emitted', async () => {
    const commands = new FakeCommandRunner().answer({ exitCode: 3, outputTail: 'standby lag 40 s\nrefusing\n' });
    const { failovers, killPrimary, topology, events, monitor } = await world(hooked({ pre: 'check-lag' }), commands);
    await killPrimary();
    expect(failovers).toEqual([]);
    const [record] = topology.state.history;
    expect(record).toMatchObject({
      id: expect.stringMatching(/^vt-/),
      kind: 'failover',
      outcome: 'vetoed',
      oldPrimary: P,
      newPrimary: null,
      epoch: 0,
      veto: { hook: 'FAILOVER_PRE_HOOK', exitCode: 3, timedOut: false, output: 'standby lag 40 s\nrefusing\n' },
    });
    expect(record.error).toMatch(/FAILOVER_PRE_HOOK exited with code 3: standby lag 40 s \| refusing/);
    const vetoed = events.emitted.filter((e) => e.name === 'db.failover-vetoed');
    expect(vetoed).toHaveLength(1);
    expect(vetoed[0].payload).toMatchObject({ primary: P, epoch: 0, hook: 'FAILOVER_PRE_HOOK', exitCode: 3 });
    expect(monitor.snapshot().blockedReason).toMatch(/vetoed by FAILOVER_PRE_HOOK exited with code 3/);
    expect(topology.state.control.lastChangeAt).toBeNull();
  });

  it('asks once per episode: not again at every heartbeat, again after the cooldown', async () => {
    const commands = new FakeCommandRunner().answer({ exitCode: 1 }, { exitCode: 0 });
    const { failovers, killPrimary, ticks, clock } = await world(hooked({ pre: 'veto-once' }), commands);
    await killPrimary();
    await ticks(10, () => false);
    expect(commands.requests).toHaveLength(1);
    expect(failovers).toEqual([]);
    clock.advance(COOLDOWN_MS);
    await ticks(1, () => false);
    expect(commands.requests).toHaveLength(2);
    expect(failovers).toHaveLength(1);
  });

  it('holds a veto at least 60 s even with FAILOVER_COOLDOWN_MS=0 (not a hook run at every heartbeat)', async () => {
    const commands = new FakeCommandRunner().answer({ exitCode: 1 }, { exitCode: 0 });
    const config = { ...hooked({ pre: 'veto-once' }), failover: { ...hooked({}).failover, cooldownMs: 0 } };
    const { failovers, killPrimary, ticks, clock } = await world(config, commands);
    await killPrimary();
    await ticks(10, () => false);
    expect(commands.requests).toHaveLength(1);
    expect(failovers).toEqual([]);
    clock.advance(MIN_VETO_HOLD_MS);
    await ticks(1, () => false);
    expect(commands.requests).toHaveLength(2);
    expect(failovers).toHaveLength(1);
  });

  it('does not fail over a primary that answers again once an allowing hook returns (a restart while it ran)', async () => {
    const commands = new FakeCommandRunner();
    let finish = () => {};
    commands.gate = new Promise<void>((resolve) => (finish = resolve));
    const { failovers, killPrimary, probe, ticks, monitor } = await world(hooked({ pre: 'slow-check' }), commands);
    const dying = killPrimary();
    await until(() => commands.requests.length === 1);
    // systemd restarted it while the hook was deciding.
    probe.server(P).up = true;
    probe.server(S).replica!.ioRunning = 'Yes';
    finish();
    await dying;
    expect(failovers).toEqual([]);
    expect(monitor.snapshot().primary).toMatchObject({ key: P, reachable: true });
    await ticks(2, () => true);
    expect(failovers).toEqual([]);
  });

  it('does not start the failover when the service shuts down while the hook runs', async () => {
    const commands = new FakeCommandRunner();
    let finish = () => {};
    commands.gate = new Promise<void>((resolve) => (finish = resolve));
    const { failovers, killPrimary, monitor } = await world(hooked({ pre: 'slow-check' }), commands);
    const dying = killPrimary();
    await until(() => commands.requests.length === 1);
    const shutdown = monitor.onApplicationShutdown();
    finish();
    await dying;
    await shutdown;
    expect(failovers).toEqual([]);
  });

  it('asks again in a new episode: the primary came back in between', async () => {
    const commands = new FakeCommandRunner().answer({ exitCode: 1 }, { exitCode: 1 });
    const { failovers, killPrimary, revivePrimary, topology } = await world(hooked({ pre: 'veto' }), commands);
    await killPrimary();
    await revivePrimary();
    await killPrimary();
    expect(commands.requests).toHaveLength(2);
    expect(failovers).toEqual([]);
    expect(topology.state.history.map((r) => r.outcome)).toEqual(['vetoed', 'vetoed']);
  });

  it('asks again at once after an operator acknowledged (reset)', async () => {
    const commands = new FakeCommandRunner().answer({ exitCode: 1 }, { exitCode: 0 });
    const { failovers, killPrimary, ticks, gate } = await world(hooked({ pre: 'veto' }), commands);
    await killPrimary();
    gate.reset();
    await ticks(1, () => false);
    expect(commands.requests).toHaveLength(2);
    expect(failovers).toHaveLength(1);
  });

  it('counts a hook that timed out or could not start as a veto', async () => {
    for (const answer of [
      { exitCode: null, signal: 'SIGTERM' as const, timedOut: true },
      { exitCode: null, startError: 'spawn /bin/sh ENOENT' },
    ]) {
      const commands = new FakeCommandRunner().answer(answer);
      const { failovers, killPrimary, topology } = await world(hooked({ pre: 'x' }), commands);
      await killPrimary();
      expect(failovers).toEqual([]);
      expect(topology.state.history[0]).toMatchObject({ outcome: 'vetoed', veto: { exitCode: null } });
    }
  });

  it('is not asked when unset, nor by a follower, nor to resume a failover it already let through', async () => {
    const unset = new FakeCommandRunner();
    const plain = await world(hooked({}), unset);
    await plain.killPrimary();
    expect(plain.failovers).toHaveLength(1);
    expect(unset.requests).toEqual([]);

    const asked = new FakeCommandRunner().answer({ exitCode: 1 });
    const follower = await world(hooked({ pre: 'veto' }), asked);
    follower.leadership.leading = false;
    await follower.killPrimary();
    expect(asked.requests).toEqual([]);
    expect(follower.monitor.snapshot().blockedReason).toMatch(/does not lead the cluster/);

    const resuming = new FakeCommandRunner().answer({ exitCode: 1 });
    const resumed = await world(hooked({ pre: 'veto' }), resuming);
    await resumed.topology.update((state) => ({
      ...state,
      pending: { id: 'fo-1', candidate: S, oldPrimary: P, startedAt: '', by: null },
    }));
    await resumed.killPrimary();
    expect(resumed.failovers).toHaveLength(1);
    expect(resuming.requests).toEqual([]);
  });

  it('kills a real hook that hangs at its timeout: a veto, and the monitor goes on ticking', async () => {
    const config = hooked({ pre: 'echo checking; sleep 1000', timeoutMs: 300 });
    const { failovers, killPrimary, ticks, topology, monitor } = await world(config, new ShellCommandRunner(200));
    await killPrimary();
    expect(failovers).toEqual([]);
    expect(topology.state.history[0]).toMatchObject({
      outcome: 'vetoed',
      veto: { exitCode: null, timedOut: true, output: 'checking\n' },
    });
    expect(topology.state.history[0].error).toMatch(/did not finish within 300 ms and was killed/);
    const before = monitor.snapshot().lastTickAt;
    await ticks(2, () => false);
    expect(monitor.snapshot().lastTickAt).not.toBe(before);
    expect(topology.state.history).toHaveLength(1);
  });
});

/** Lets pending promises run until `done` holds (a hook was asked, say); fails after many rounds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!done()) throw new Error('the awaited condition never held');
}
