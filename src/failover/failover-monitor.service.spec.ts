import { Logger } from '@nestjs/common';
import { FakeClock } from '../../test/support/fake-clock';
import {
  FakeDataSourceSwitch,
  InMemoryTopologyFile,
  SwitchableLeadership,
  RecordingEventBus,
  replicatedConfig,
} from '../../test/support/failover-fakes';
import { FakeGtidStates } from '../../test/support/fake-gtid-states';
import { FakeServerProbe, recordedEpoch, replicaStatus } from '../../test/support/fake-server-probe';
import type { AppConfig } from '../config/app-config';
import type { DataSourceSwitch } from '../database/data-source-switch';
import type { PendingFailover } from '../database/topology/topology-state';
import { DatabaseTopology } from '../database/topology/database-topology';
import { AppPool } from './app-pool';
import { AutomaticFailover } from './automatic-failover';
import { FailoverMonitor } from './failover-monitor.service';
import type { FailoverRunner } from './failover-runner';
import { Fencer } from './fencer';
import { AcknowledgedPosition } from './guard/acknowledged-position';
import { ReplicaConfigurer } from './replicas/replica-configurer';
import { StandbyHealth } from './standby-health/standby-health';

const P = '127.0.0.1:1';
const S = '127.0.0.1:2';

async function world(config: AppConfig = replicatedConfig(1)) {
  const clock = new FakeClock(new Date('2026-11-27T12:00:00Z'));
  const file = new InMemoryTopologyFile();
  const topology = new DatabaseTopology(config, file.asStore(), clock);
  const leadership = new SwitchableLeadership();
  await topology.ready();
  // The standby replicates from P (port 1): a standby pointed elsewhere is a standby problem (StandbyHealth).
  const probe = new FakeServerProbe().add(P).add(S, { readOnly: true, replica: replicaStatus({ masterPort: 1 }) });
  const events = new RecordingEventBus();
  const failovers: string[] = [];
  const settled: string[] = [];
  /** busy: a failover or switchover holds the runner, so tryExclusive runs nothing (as the real one). */
  const exclusive = { busy: false, ran: [] as string[] };
  const runner = {
    inProgress: false,
    tryExclusive: async <T>(what: string, work: () => Promise<T>) => {
      if (exclusive.busy) return undefined;
      exclusive.ran.push(what);
      return work();
    },
    failover: async (reason: string) => void failovers.push(reason),
    finishPersisted: async (pending: PendingFailover) => void settled.push(`finish ${pending.id}`),
    abandonPending: async (pending: PendingFailover) => void settled.push(`abandon ${pending.id}`),
    discardPending: async (pending: PendingFailover) => void settled.push(`discard ${pending.id}`),
  } as unknown as FailoverRunner;
  const dataSource = new FakeDataSourceSwitch();
  const fencer = new Fencer(topology, probe, events.asBus());
  const automatic = new AutomaticFailover(topology);
  const pool = new AppPool(dataSource as unknown as DataSourceSwitch, topology);
  const monitor = new FailoverMonitor(
    config,
    topology,
    probe,
    runner,
    fencer,
    pool,
    automatic,
    events.asBus(),
    clock,
    // The loop would start in onApplicationBootstrap, which tests never call: they drive tick() themselves.
    true,
    leadership,
    new AcknowledgedPosition(events.asBus(), clock),
    new ReplicaConfigurer(config, topology, probe, events.asBus(), clock),
    new StandbyHealth(config, topology, probe, events.asBus(), clock, new FakeGtidStates(probe)),
  );
  /** One tick per heartbeat interval, the standby's heartbeat counter moving while `primaryTalks`. */
  const ticks = async (count: number, primaryTalks: () => boolean) => {
    for (let i = 0; i < count; i++) {
      clock.advance(1000);
      if (primaryTalks()) probe.server(S).replica!.receivedHeartbeats++;
      await monitor.tick();
    }
  };
  return {
    clock,
    topology,
    probe,
    events,
    failovers,
    settled,
    monitor,
    ticks,
    file,
    dataSource,
    automatic,
    leadership,
    exclusive,
  };
}

describe('FailoverMonitor', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('fails over after 3 misses once the standby lost the primary too (IO thread reconnecting)', async () => {
    const { probe, failovers, ticks } = await world();
    await ticks(2, () => true);
    probe.server(P).up = false;
    probe.server(S).replica!.ioRunning = 'Connecting';
    await ticks(2, () => false);
    expect(failovers).toEqual([]);
    await ticks(1, () => false);
    expect(failovers).toHaveLength(1);
    expect(failovers[0]).toMatch(/3 heartbeats missed; 127\.0\.0\.1:2: IO thread Connecting/);
  });

  it('fails over a hung primary once the standby has been silent past the window, though its IO thread says Yes', async () => {
    const { probe, failovers, ticks, monitor } = await world();
    await ticks(2, () => true);
    probe.server(P).up = false;
    await ticks(3, () => false);
    expect(failovers).toEqual([]);
    expect(monitor.snapshot().verdict.kind).toBe('partitioned');
    await ticks(1, () => false);
    expect(failovers).toHaveLength(1);
    expect(failovers[0]).toMatch(/nothing from the primary for 4000 ms/);
  });

  it('keeps counting as a follower but leaves the failover to the leader, and acts at once when it becomes leader', async () => {
    const { probe, failovers, ticks, monitor, leadership } = await world();
    leadership.leading = false;
    await ticks(1, () => true);
    probe.server(P).up = false;
    probe.server(S).replica!.ioRunning = 'Connecting';
    await ticks(4, () => false);
    expect(failovers).toEqual([]);
    expect(monitor.snapshot().blockedReason).toMatch(/does not lead the cluster/);
    leadership.leading = true;
    await ticks(1, () => false);
    expect(failovers).toHaveLength(1);
  });

  describe('a failover another leader left part-way (the intent in the topology)', () => {
    const intent = (candidate: string): PendingFailover => ({
      id: 'fo-left',
      candidate,
      oldPrimary: P,
      startedAt: '2026-11-27T11:59:00.000Z',
      by: 'node-a',
    });

    it('resumes it once the primary misses its heartbeats, though the candidate no longer replicates to confirm', async () => {
      const { probe, failovers, ticks, topology, leadership } = await world();
      await topology.update((state) => ({ ...state, pending: intent(S) }));
      probe.server(P).up = false;
      probe.server(S).replica!.ioRunning = 'No'; // stopped by the failover that was interrupted
      leadership.leading = false;
      await ticks(4, () => false);
      expect(failovers).toEqual([]); // a follower leaves it to the leader
      leadership.leading = true;
      await ticks(1, () => false);
      expect(failovers).toEqual([expect.stringMatching(/^resuming failover fo-left \(started by node-a\)/)]);
    });

    it('never resumes it while a standby still hears the primary (a monitor-side partition)', async () => {
      const { probe, failovers, ticks, topology } = await world(replicatedConfig(2));
      const S2 = '127.0.0.1:3';
      probe.add(S2, { readOnly: true, replica: replicaStatus({ masterPort: 1 }) });
      await topology.update((state) => ({ ...state, pending: intent(S) }));
      probe.server(P).up = false;
      probe.server(S).replica!.ioRunning = 'No';
      for (let i = 0; i < 6; i++) {
        probe.server(S2).replica!.receivedHeartbeats++; // S2 still hears the primary
        await ticks(1, () => false);
      }
      expect(failovers).toEqual([]);
    });

    it('ignores an intent about another primary (stale), and settles nothing in maintenance', async () => {
      const stale = await world();
      await stale.topology.update((state) => ({ ...state, pending: { ...intent(S), oldPrimary: '127.0.0.1:9' } }));
      stale.probe.server(P).up = false;
      stale.probe.server(S).replica!.ioRunning = 'No';
      await stale.ticks(5, () => false);
      expect(stale.failovers).toEqual([]);

      const held = await world();
      await held.topology.update((state) => ({
        ...state,
        pending: intent(S),
        control: { ...state.control, maintenance: true },
      }));
      await held.ticks(2, () => true);
      expect(held.settled).toEqual([]);
    });

    it('does not try to finish on a persisted candidate that is down: a normal failover replaces it', async () => {
      const { probe, settled, ticks, topology } = await world();
      await topology.update((state) => ({ ...state, primary: S, epoch: 1, pending: intent(S) }));
      probe.server(S).up = false;
      await ticks(2, () => false);
      expect(settled).toEqual([]);
    });

    it('does not resume it before the primary missed enough heartbeats', async () => {
      const { probe, failovers, ticks, topology } = await world();
      await topology.update((state) => ({ ...state, pending: intent(S) }));
      probe.server(P).up = false;
      probe.server(S).replica!.ioRunning = 'No';
      await ticks(2, () => false);
      expect(failovers).toEqual([]);
    });

    it('finishes one already persisted (the topology names the candidate), and gives the candidate back when the primary answers', async () => {
      const persisted = await world();
      await persisted.topology.update((state) => ({ ...state, primary: S, epoch: 1, pending: intent(S) }));
      await persisted.ticks(1, () => true);
      expect(persisted.settled).toEqual(['finish fo-left']);

      const back = await world();
      await back.topology.update((state) => ({ ...state, pending: intent(S) }));
      await back.ticks(1, () => true);
      expect(back.settled).toEqual(['abandon fo-left']);
      expect(back.failovers).toEqual([]);
    });
  });

  it('fences only as the leader', async () => {
    const { probe, ticks, leadership, topology } = await world();
    await topology.update((state) => ({ ...state, fenced: [S] }));
    probe.server(S).readOnly = false;
    leadership.leading = false;
    await ticks(1, () => true);
    expect(probe.server(S).readOnly).toBe(false);
    leadership.leading = true;
    await ticks(1, () => true);
    expect(probe.server(S).readOnly).toBe(true);
  });

  it('a stall shorter than the threshold resets the count: no failover', async () => {
    const { probe, failovers, ticks, monitor } = await world();
    probe.server(S).replica!.ioRunning = 'Connecting';
    probe.server(P).up = false;
    await ticks(2, () => false);
    probe.server(P).up = true;
    await ticks(1, () => false);
    expect(monitor.snapshot()).toMatchObject({ misses: 0, verdict: { kind: 'healthy' } });
    probe.server(P).up = false;
    await ticks(2, () => false);
    expect(failovers).toEqual([]);
  });

  it('emits db.primary-suspect once per episode while the standby still hears the primary, and never fails over', async () => {
    const { probe, failovers, ticks, events } = await world();
    probe.server(P).up = false;
    await ticks(10, () => true);
    expect(failovers).toEqual([]);
    const suspects = events.emitted.filter((e) => e.name === 'db.primary-suspect');
    expect(suspects).toHaveLength(1);
    expect(suspects[0].payload).toMatchObject({ primary: P, epoch: 0, misses: 3, seenBy: [S] });
  });

  it('holds a confirmed death during the cooldown, then acts once acknowledged', async () => {
    const { probe, failovers, ticks, topology, monitor, clock } = await world();
    await topology.update((s) => ({
      ...s,
      control: { ...s.control, lastChangeAt: clock.now().toISOString(), acknowledged: false },
    }));
    probe.server(P).up = false;
    probe.server(S).replica!.ioRunning = 'Connecting';
    await ticks(5, () => false);
    expect(failovers).toEqual([]);
    expect(monitor.snapshot().blockedReason).toMatch(/cooldown/);
    await topology.update((s) => ({ ...s, control: { ...s.control, acknowledged: true } }));
    await ticks(1, () => false);
    expect(failovers).toHaveLength(1);
  });

  it('holds a confirmed death while automatic failover is disabled, even when only memory knows it (the file could not be written)', async () => {
    const { probe, failovers, ticks, monitor, file, automatic } = await world();
    file.failWrites = true;
    await automatic.disable('switchover so-1 failed at catch-up and its roll-back did not complete');
    expect(file.saved).toBeNull();
    probe.server(P).up = false;
    probe.server(S).replica!.ioRunning = 'Connecting';
    await ticks(5, () => false);
    expect(failovers).toEqual([]);
    expect(monitor.snapshot().blockedReason).toMatch(/disabled after a failed failover: switchover so-1 failed/);
    file.failWrites = false;
    await automatic.enable({ acknowledged: true });
    await ticks(1, () => false);
    expect(failovers).toHaveLength(1);
  });

  it('does nothing when no standby can confirm', async () => {
    const { probe, failovers, ticks, monitor } = await world();
    probe.server(P).up = false;
    probe.server(S).up = false;
    await ticks(5, () => false);
    expect(failovers).toEqual([]);
    expect(monitor.snapshot().verdict.kind).toBe('unconfirmed');
  });

  it('fences a returning old primary (read_only, app sessions killed) and re-fences it if it is turned writable', async () => {
    const { probe, topology, ticks, events } = await world();
    await topology.update((s) => ({ ...s, epoch: 1, primary: S, fenced: [P] }));
    probe.server(S).replica = null;
    probe.server(P).up = false;
    await ticks(1, () => false);
    expect(events.names()).not.toContain('db.old-primary-fenced');
    probe.server(P).up = true;
    await ticks(1, () => false);
    expect(probe.server(P).readOnly).toBe(true);
    expect(probe.calls).toEqual([`${P} setReadOnly:true`, `${P} killConnectionsOf:logic_ha`]);
    expect(events.emitted.find((e) => e.name === 'db.old-primary-fenced')?.payload).toEqual({
      server: P,
      epoch: 1,
      killedConnections: 2,
    });
    await ticks(1, () => false);
    expect(probe.calls).toHaveLength(2);
    probe.server(P).readOnly = false;
    await ticks(1, () => false);
    expect(probe.server(P).readOnly).toBe(true);
  });

  it('warns once, in status, about a standby whose heartbeat period makes a hung primary slow to confirm', async () => {
    const { probe, ticks, monitor } = await world();
    probe.server(S).replica!.heartbeatPeriodSeconds = 30;
    await ticks(3, () => true);
    expect(monitor.snapshot().warnings).toEqual([
      expect.stringMatching(
        /127\.0\.0\.1:2 has MASTER_HEARTBEAT_PERIOD 30 s: a hung primary is confirmed only after 61000 ms; set it to at most 1\.5 s/,
      ),
    ]);
  });

  it('warns while the primary is read-only (writes get 503), unless a failover is running or pending, and clears it once writable', async () => {
    const { probe, ticks, monitor, topology } = await world();
    probe.server(P).readOnly = true;
    await ticks(1, () => true);
    const warning = `the primary ${P} is read-only: writes get 503 until it takes them again (SET GLOBAL read_only = OFF on it, if nothing else should be the primary)`;
    expect(monitor.snapshot().warnings).toEqual([warning]);
    probe.server(P).readOnly = false;
    await ticks(1, () => true);
    expect(monitor.snapshot().warnings).toEqual([]);
    // A pending intent explains it (and has its own status warning).
    probe.server(P).readOnly = true;
    await topology.update((state) => ({
      ...state,
      pending: { id: 'fo-left', candidate: S, oldPrimary: '127.0.0.1:9', startedAt: '', by: null },
    }));
    await ticks(1, () => true);
    expect(monitor.snapshot().warnings).toEqual([]);
  });

  it('reopens a pool a failed failover left closed once the primary answers', async () => {
    const { ticks, dataSource } = await world();
    dataSource.inProgress = true;
    await ticks(1, () => true);
    expect(dataSource.opened).toEqual([1]);
  });

  it('leaves a pool refused by the deferred start-up migration closed: no reopen every tick', async () => {
    const { ticks, dataSource } = await world();
    dataSource.inProgress = true;
    dataSource.schemaRefusal = new Error('the history does not match this build');
    await ticks(2, () => true);
    expect(dataSource.opened).toEqual([]);
  });

  it('takes over reopening the pool from the database layer when it starts', async () => {
    const { monitor, dataSource } = await world();
    (monitor as unknown as { runLoop: boolean }).runLoop = true;
    await monitor.onApplicationBootstrap();
    await monitor.onApplicationShutdown();
    expect(dataSource.reopenedBy).toBe('failover monitor');
  });

  describe('single-node mode on a database a cluster manages (epoch marker)', () => {
    const F = '127.0.0.1:3';
    const CLUSTER_MARKER = recordedEpoch({ epoch: 3, primary: P, managedBy: 'cluster', writer: 'node-b' });

    /** A primary P, a standby S, a fenced old primary F that is writable again, and P's marker. */
    async function clusterWorld(options: { forced?: boolean; marker?: typeof CLUSTER_MARKER | null } = {}) {
      const w = await world(replicatedConfig(2, { forceSingleNode: options.forced ?? false }));
      await w.topology.update((s) => ({ ...s, fenced: [F] }));
      w.probe.add(F, { readOnly: false });
      w.probe.server(P).epochs = options.marker === null ? [] : [options.marker ?? CLUSTER_MARKER];
      return w;
    }

    it('watches but neither fences nor fails over, says why in status and in the log, naming FAILOVER_FORCE_SINGLE_NODE', async () => {
      const error = jest.spyOn(Logger.prototype, 'error');
      try {
        const { probe, failovers, ticks, monitor } = await clusterWorld();
        await ticks(1, () => true);
        expect(monitor.disabledReason).toMatch(
          /^the database is managed by a logic-ha cluster: 127\.0\.0\.1:1 records epoch 3 \(managedBy cluster, written by node-b, .*single-node mode.*FAILOVER_FORCE_SINGLE_NODE=true/,
        );
        const logged = error.mock.calls.map(([entry]) => (entry as { msg?: string }).msg ?? '');
        expect(logged).toEqual([
          expect.stringMatching(/^failover monitor refuses to act: .*FAILOVER_FORCE_SINGLE_NODE/),
        ]);
        expect(probe.server(F).readOnly).toBe(false);

        probe.server(P).up = false;
        probe.server(S).replica!.ioRunning = 'Connecting';
        await ticks(4, () => false);
        expect(failovers).toEqual([]);
        expect(monitor.snapshot()).toMatchObject({
          verdict: { kind: 'dead' },
          blockedReason: expect.stringMatching(/managed by a logic-ha cluster/),
        });
        // Still watching: status keeps its view of the servers.
        expect(monitor.snapshot().primary).toMatchObject({ key: P, reachable: false });
        expect(probe.calls.filter((call) => !call.includes('replicaStatus'))).toEqual([]);
      } finally {
        error.mockRestore();
      }
    });

    it('acts when forced with FAILOVER_FORCE_SINGLE_NODE=true, and keeps a warning in status', async () => {
      const { probe, failovers, ticks, monitor } = await clusterWorld({ forced: true });
      await ticks(1, () => true);
      expect(monitor.disabledReason).toBeNull();
      expect(probe.server(F).readOnly).toBe(true);
      expect(monitor.snapshot().warnings).toEqual([
        expect.stringMatching(/^FAILOVER_FORCE_SINGLE_NODE=true: this single node fails over and fences .*epoch 3/),
      ]);
      probe.server(P).up = false;
      probe.server(S).replica!.ioRunning = 'Connecting';
      await ticks(3, () => false);
      expect(failovers).toHaveLength(1);
    });

    it('acts on a marker written by a single node, on no marker, and in cluster mode (where a leader decides)', async () => {
      const single = await clusterWorld({ marker: recordedEpoch({ epoch: 2, managedBy: 'single-node' }) });
      await single.ticks(1, () => true);
      expect(single.monitor.disabledReason).toBeNull();
      expect(single.probe.server(F).readOnly).toBe(true);

      const none = await clusterWorld({ marker: null });
      await none.ticks(1, () => true);
      expect(none.monitor.disabledReason).toBeNull();

      const clusterConfig = { ...replicatedConfig(1), cluster: { nodeId: 'node-a' } } as unknown as AppConfig;
      const cluster = await world(clusterConfig);
      cluster.probe.server(P).epochs = [CLUSTER_MARKER];
      await cluster.ticks(1, () => true);
      expect(cluster.monitor.disabledReason).toBeNull();
    });

    it('a primary down at start blocks nothing: it fails over, the marker never read', async () => {
      const { probe, failovers, ticks, monitor } = await clusterWorld();
      probe.server(P).up = false;
      probe.server(S).replica!.ioRunning = 'Connecting';
      await ticks(3, () => false);
      expect(failovers).toHaveLength(1);
      expect(monitor.disabledReason).toBeNull();
      expect(probe.server(F).readOnly).toBe(true);
    });

    it('reads the marker again at the next heartbeat when it could not be read, then refuses', async () => {
      const { probe, ticks, monitor } = await clusterWorld();
      probe.failing.add('recordedEpoch');
      await ticks(1, () => true);
      expect(monitor.disabledReason).toBeNull();
      probe.failing.delete('recordedEpoch');
      await ticks(1, () => true);
      expect(monitor.disabledReason).toMatch(/managed by a logic-ha cluster/);
    });
  });

  describe('semi-sync and replica configuration', () => {
    it('reports semi-sync switching off and back once each, and shows it in the snapshot', async () => {
      const { monitor, probe, events, ticks } = await world();
      const heartbeat = probe.heartbeat.bind(probe);
      let active = true;
      probe.heartbeat = async (address) => ({ ...(await heartbeat(address)), semiSyncActive: active });
      await ticks(1, () => true);
      active = false;
      await ticks(2, () => true);
      expect(monitor.snapshot().semiSync).toMatchObject({ primary: P, active: false });
      active = true;
      await ticks(1, () => true);
      expect(events.emitted.filter((e) => e.name === 'db.semi-sync-changed').map((e) => e.payload)).toEqual([
        { primary: P, epoch: 0, active: false },
        { primary: P, epoch: 0, active: true },
      ]);
    });

    it('configures replicas only around a healthy primary, and only as the leader', async () => {
      const { probe, ticks, leadership } = await world(replicatedConfig(1, { configureReplicas: true }));
      probe.server(S).readOnly = false;
      leadership.leading = false;
      await ticks(1, () => true);
      expect(probe.calls).not.toContain(`${S} setReadOnly:true`);
      leadership.leading = true;
      probe.server(P).up = false;
      await ticks(1, () => false);
      expect(probe.calls).not.toContain(`${S} setReadOnly:true`);
      probe.server(P).up = true;
      await ticks(1, () => true);
      expect(probe.calls).toContain(`${S} setReadOnly:true`);
    });

    it('configures replicas only exclusively of a failover or switchover (FailoverRunner.tryExclusive)', async () => {
      const { probe, ticks, exclusive } = await world(replicatedConfig(1, { configureReplicas: true }));
      probe.server(S).readOnly = false;
      exclusive.busy = true;
      await ticks(1, () => true);
      expect(probe.calls).not.toContain(`${S} setReadOnly:true`);
      exclusive.busy = false;
      await ticks(1, () => true);
      expect(exclusive.ran).toEqual(['configuring replicas']);
      expect(probe.calls).toContain(`${S} setReadOnly:true`);
    });

    it('configures no replica in maintenance', async () => {
      const { probe, ticks, topology } = await world(replicatedConfig(1, { configureReplicas: true }));
      probe.server(S).readOnly = false;
      await topology.update((state) => ({ ...state, control: { ...state.control, maintenance: true } }));
      await ticks(3, () => true);
      expect(probe.calls).not.toContain(`${S} setReadOnly:true`);
      await topology.update((state) => ({ ...state, control: { ...state.control, maintenance: false } }));
      await ticks(1, () => true);
      expect(probe.calls).toContain(`${S} setReadOnly:true`);
    });

    it('zero-loss guard: counts what standbys received from the primary or an unknown address, not from another configured server', async () => {
      const T = '127.0.0.1:3';
      const w = await world(replicatedConfig(2));
      w.probe.server(S).replica!.gtidIoPosition = '0-1-10';
      // T replicates from S (a configured server that is not the primary): another history.
      w.probe.add(T, { readOnly: true, replica: replicaStatus({ masterPort: 2, gtidIoPosition: '0-2-50' }) });
      await w.ticks(1, () => true);
      expect(w.monitor.snapshot().acknowledgedPosition).toBe('0-1-10');
      // Through a proxy (an address no configured server has): it may be the primary; counted.
      Object.assign(w.probe.server(T).replica!, { masterPort: 45123, gtidIoPosition: '0-1-12' });
      await w.ticks(1, () => true);
      expect(w.monitor.snapshot().acknowledgedPosition).toBe('0-1-12');
    });
  });
});

describe('FailoverMonitor fast path (refused connections)', () => {
  beforeAll(() => Logger.overrideLogger(false));
  const REFUSED =
    "error reconnecting to master 'repl@127.0.0.1:1' - retry-time: 1  maximum-retries: 100000  message: Can't connect to server on '127.0.0.1' (111 \"Connection refused\")";

  /** The primary's heartbeat fails as mysql2 fails: with a code. The pause moves the fake clock. */
  async function fastWorld(script: (string | null)[]) {
    const w = await world();
    const real = w.probe.heartbeat.bind(w.probe);
    const heartbeats: string[] = [];
    w.probe.heartbeat = async (address) => {
      const code = script.length > 0 ? script.shift()! : 'ECONNREFUSED';
      heartbeats.push(code ?? 'ok');
      if (code === null) return real(address);
      throw Object.assign(new Error(`heartbeat failed: ${code}`), { code });
    };
    w.monitor.fastPath.pause = async (ms) => w.clock.advance(ms);
    const standbyRefused = () =>
      Object.assign(w.probe.server(w.topology.standbys()[0].key).replica!, {
        ioRunning: 'Connecting',
        lastIoErrno: 2003,
        lastIoError: REFUSED,
      });
    return { ...w, heartbeats, standbyRefused };
  }

  it('fails over in one tick once three refusals span the window and the standby was refused too', async () => {
    const { monitor, failovers, heartbeats, standbyRefused, clock } = await fastWorld([]);
    standbyRefused();
    const before = clock.now().getTime();
    await monitor.tick();
    expect(heartbeats).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
    expect(clock.now().getTime() - before).toBe(1000);
    expect(failovers).toHaveLength(1);
    expect(failovers[0]).toMatch(
      /^fast path: the primary refused 3 connections over 1000 ms; every standby was refused too/,
    );
  });

  it('asks again at once, on a fresh connection, when the server closed the cached one (lost), then confirms', async () => {
    const { monitor, failovers, heartbeats, standbyRefused } = await fastWorld(['PROTOCOL_CONNECTION_LOST']);
    standbyRefused();
    await monitor.tick();
    expect(heartbeats).toEqual(['PROTOCOL_CONNECTION_LOST', 'ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
    expect(failovers).toHaveLength(1);
  });

  it('a lost connection answered at once on a fresh one is no miss', async () => {
    const { monitor, failovers, heartbeats } = await fastWorld(['PROTOCOL_CONNECTION_LOST', null]);
    await monitor.tick();
    expect(heartbeats).toEqual(['PROTOCOL_CONNECTION_LOST', 'ok']);
    expect(failovers).toEqual([]);
    expect(monitor.snapshot()).toMatchObject({ misses: 0, verdict: { kind: 'healthy' } });
  });

  it('cancels when the primary answers within the window (a restart): no failover, misses reset', async () => {
    const { monitor, failovers, heartbeats, standbyRefused } = await fastWorld(['ECONNREFUSED', 'ECONNREFUSED', null]);
    standbyRefused();
    await monitor.tick();
    expect(heartbeats).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ok']);
    expect(failovers).toEqual([]);
    expect(monitor.snapshot()).toMatchObject({ misses: 0, verdict: { kind: 'healthy' } });
  });

  it('keeps the full window when the standby is not refused (still connected, or a lost connection)', async () => {
    const { monitor, failovers, probe } = await fastWorld([]);
    await monitor.tick();
    expect(failovers).toEqual([]);
    Object.assign(probe.server(S).replica!, {
      ioRunning: 'Connecting',
      lastIoErrno: 2013,
      lastIoError: 'Lost connection',
    });
    await monitor.tick();
    expect(failovers).toEqual([]);
    await monitor.tick();
    // The third miss: the full window's rule (IO thread disconnected) decides, not the fast path.
    expect(failovers).toHaveLength(1);
    expect(failovers[0]).toMatch(/^3 heartbeats missed/);
  });

  it('keeps the full window on timeouts (a hung primary): one heartbeat per tick, no extra probes', async () => {
    const { monitor, failovers, heartbeats, standbyRefused } = await fastWorld(['ETIMEDOUT', 'ETIMEDOUT']);
    standbyRefused();
    await monitor.tick();
    await monitor.tick();
    expect(heartbeats).toEqual(['ETIMEDOUT', 'ETIMEDOUT']);
    expect(failovers).toEqual([]);
  });

  it('is off with FAILOVER_FAST_CONFIRM_MS=0', async () => {
    const w = await world(replicatedConfig(1, { fastConfirmMs: 0 }));
    w.probe.heartbeat = async () => {
      throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    };
    Object.assign(w.probe.server(S).replica!, { ioRunning: 'Connecting', lastIoErrno: 2003, lastIoError: REFUSED });
    await w.monitor.tick();
    await w.monitor.tick();
    expect(w.failovers).toEqual([]);
    await w.monitor.tick();
    expect(w.failovers[0]).toMatch(/^3 heartbeats missed/);
  });
});
