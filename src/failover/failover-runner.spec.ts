import { Logger } from '@nestjs/common';
import { FakeClock } from '../../test/support/fake-clock';
import {
  FakeDataSourceSwitch,
  InMemoryTopologyFile,
  SwitchableLeadership,
  RecordingEventBus,
  replicatedConfig,
} from '../../test/support/failover-fakes';
import { FakeServerProbe, recordedEpoch, replicaStatus } from '../../test/support/fake-server-probe';
import type { FailoverConfig } from '../config/app-config';
import type { DataSourceSwitch } from '../database/data-source-switch';
import { DatabaseTopology } from '../database/topology/database-topology';
import { AppPool } from './app-pool';
import { AutomaticFailover } from './automatic-failover';
import type { FailoverHistoryService } from './failover-history.service';
import { FailoverRunner } from './failover-runner';
import { AcknowledgedPosition } from './guard/acknowledged-position';
import { ZeroLossGuard } from './guard/zero-loss-guard';
import { Promoter } from './promotion/promoter';
import type { SwitchoverProcedure } from './switchover.procedure';
import { TopologyChange } from './topology-change';

const P = '127.0.0.1:1';
const S1 = '127.0.0.1:2';
const S2 = '127.0.0.1:3';

async function world(failover: Partial<FailoverConfig> = {}) {
  const clock = new FakeClock(new Date('2026-11-27T12:00:00Z'));
  const config = replicatedConfig(2, failover);
  const file = new InMemoryTopologyFile();
  const topology = new DatabaseTopology(config, file.asStore(), clock);
  const leadership = new SwitchableLeadership();
  await topology.ready();
  const probe = new FakeServerProbe()
    .add(P, { up: false })
    .add(S1, { readOnly: true, replica: replicaStatus({ gtidIoPosition: '0-1-10' }) })
    .add(S2, { readOnly: true, replica: replicaStatus({ gtidIoPosition: '0-1-12' }) });
  const dataSource = new FakeDataSourceSwitch();
  const events = new RecordingEventBus();
  const recorded: unknown[] = [];
  const history = {
    record: async (record: { id: string }) => {
      recorded.push(record);
      // As FailoverHistoryService: a record that cannot be written never throws.
      await topology.update((s) => ({ ...s, history: [record as never, ...s.history] })).catch(() => undefined);
    },
  } as unknown as FailoverHistoryService;
  const change = new TopologyChange(config, topology, probe, clock);
  const pool = new AppPool(dataSource as unknown as DataSourceSwitch, topology);
  const automatic = new AutomaticFailover(topology);
  const promoter = new Promoter(probe, config.failover.applyTimeoutMs);
  const acknowledged = new AcknowledgedPosition(events.asBus(), clock);
  const runner = new FailoverRunner(
    topology,
    probe,
    pool,
    history,
    change,
    {} as SwitchoverProcedure,
    promoter,
    automatic,
    events.asBus(),
    clock,
    leadership,
    new ZeroLossGuard(config, probe, acknowledged, events.asBus()),
  );
  return { topology, probe, dataSource, events, runner, file, recorded, automatic, leadership, acknowledged };
}

const possibleLoss = (events: RecordingEventBus) =>
  events.emitted.filter((e) => e.name === 'db.possible-loss').map((e) => e.payload);

describe('FailoverRunner', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('closes the pool first, promotes the most advanced standby, persists epoch + 1, reopens the pool there, re-points the rest', async () => {
    const { topology, probe, dataSource, events, runner, file } = await world();
    const record = await runner.failover('primary confirmed down');
    expect(record).toMatchObject({ outcome: 'succeeded', oldPrimary: P, newPrimary: S2, epoch: 1, error: null });
    expect(file.saved).toMatchObject({
      epoch: 1,
      primary: S2,
      fenced: [P],
      control: { acknowledged: false, lastChangeAt: '2026-11-27T12:00:00.000Z' },
    });
    expect(topology.primaryKey).toBe(S2);
    expect(dataSource.opened).toEqual([3]);
    expect(probe.calls).toEqual([
      `${P} setReadOnly:true`,
      `${S2} stopReplicaIo`,
      `${S2} waitForApplied:0-1-12`,
      `${S2} detachReplica`,
      `${S2} setReadOnly:false`,
      `${S1} replicateFrom:${S2}`,
      `${S2} recordEpoch:1`,
    ]);
    expect(record.steps.map((s) => s.name)).toEqual([
      'close-app-pool',
      'fence-old-primary',
      'find-promoted-standby',
      'choose-candidate',
      'check-epoch',
      'record-intent',
      'await-acknowledged',
      'stop-io-thread',
      'read-received-position',
      'apply-relay-log',
      'detach-from-old-primary',
      'persist-topology',
      'enable-writes',
      'repoint-app',
      'repoint-standbys',
      'record-epoch',
      'clear-intent',
    ]);
    expect(record.steps.find((s) => s.name === 'fence-old-primary')).toMatchObject({ ok: false });
    expect(events.names()).toEqual(['db.failover-started', 'db.primary-changed']);
    expect(events.emitted[1].payload).toMatchObject({ epoch: 1, oldPrimary: P, newPrimary: S2 });
  });

  it('records the new epoch on the new primary once it accepts writes: single-node, no writer id', async () => {
    const { probe, runner } = await world();
    const record = await runner.failover('primary confirmed down');
    expect(probe.server(S2).epochs).toEqual([
      expect.objectContaining({ epoch: 1, primary: S2, managedBy: 'single-node', writer: null }),
    ]);
    expect(record.steps.find((s) => s.name === 'check-epoch')).toMatchObject({
      ok: true,
      detail: 'no epoch recorded (ours 0)',
    });
    expect(record.steps.find((s) => s.name === 'record-epoch')).toMatchObject({
      ok: true,
      detail: `epoch 1 recorded on ${S2} (single-node)`,
    });
  });

  it('in cluster mode the record says cluster and names the node that wrote it', async () => {
    const { probe, runner } = await world();
    const change = (runner as unknown as { change: { config: unknown } }).change;
    change.config = { ...replicatedConfig(2), cluster: { nodeId: 'node-a' } };
    await runner.failover('primary confirmed down');
    expect(probe.server(S2).epochs).toEqual([
      expect.objectContaining({ epoch: 1, managedBy: 'cluster', writer: 'node-a' }),
    ]);
  });

  it('a failed record-epoch is logged in the steps, not fatal: the failover succeeds', async () => {
    const { probe, runner, automatic } = await world();
    probe.failing.add('recordEpoch');
    const record = await runner.failover('primary confirmed down');
    expect(record).toMatchObject({ outcome: 'succeeded', newPrimary: S2, epoch: 1, error: null });
    expect(record.steps.find((s) => s.name === 'record-epoch')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/recordEpoch failed/),
    });
    expect(automatic.disabledReason).toBeNull();
  });

  it('stops before touching a candidate that records a higher epoch than ours (a deposed node): nothing promoted', async () => {
    const { probe, runner, topology, automatic, events } = await world();
    probe.server(S2).epochs = [recordedEpoch({ epoch: 4, primary: S1, managedBy: 'cluster', writer: 'node-b' })];
    const record = await runner.failover('primary confirmed down');
    expect(record).toMatchObject({ outcome: 'failed', newPrimary: null, epoch: 0 });
    expect(record.error).toMatch(
      /^check-epoch: server 127\.0\.0\.1:3 records epoch 4 > ours 0: another logic-ha changed the topology; re-read it/,
    );
    expect(record.error).toContain('node-b');
    expect(probe.calls.filter((call) => call.startsWith(S2))).toEqual([]);
    expect(probe.server(S2).replica?.ioRunning).toBe('Yes');
    expect(topology.primaryKey).toBe(P);
    expect(topology.epoch).toBe(0);
    expect(automatic.disabledReason).toMatch(/failed at check-epoch/);
    expect(events.emitted.at(-1)).toMatchObject({ name: 'db.failover-failed', payload: { step: 'check-epoch' } });
  });

  it('goes on when the candidate records an epoch no higher than ours, or its record cannot be read', async () => {
    const same = await world();
    same.probe.server(S2).epochs = [recordedEpoch({ epoch: 0 })];
    const record = await same.runner.failover('down');
    expect(record).toMatchObject({ outcome: 'succeeded', epoch: 1 });
    expect(record.steps.find((s) => s.name === 'check-epoch')?.detail).toBe('records epoch 0 (ours 0)');
    expect(same.probe.server(S2).epochs.map((e) => e.epoch)).toEqual([0, 1]);

    const unreadable = await world();
    unreadable.probe.failing.add('recordedEpoch');
    const going = await unreadable.runner.failover('down');
    expect(going).toMatchObject({ outcome: 'succeeded', epoch: 1 });
    expect(going.steps.find((s) => s.name === 'check-epoch')?.detail).toMatch(/not readable.*going on at epoch 0/);
  });

  it('logs the failed fence of a primary that is down as a warning, not an error: that is a normal failover', async () => {
    const error = jest.spyOn(Logger.prototype, 'error');
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      const { runner } = await world();
      const record = await runner.failover('primary confirmed down');
      expect(record).toMatchObject({ outcome: 'succeeded' });
      expect(record.steps.find((s) => s.name === 'fence-old-primary')).toMatchObject({ ok: false });
      const messages = (spy: jest.SpyInstance) => spy.mock.calls.map(([entry]) => (entry as { msg?: string }).msg);
      expect(messages(error)).toEqual([]);
      expect(messages(warn)).toContain('failover step fence-old-primary failed');
    } finally {
      error.mockRestore();
      warn.mockRestore();
    }
  });

  it('still logs a failed step that is not expected to fail as an error', async () => {
    const error = jest.spyOn(Logger.prototype, 'error');
    try {
      const { probe, runner } = await world();
      probe.failing.add('detachReplica');
      await runner.failover('primary confirmed down');
      const messages = error.mock.calls.map(([entry]) => (entry as { msg?: string }).msg);
      expect(messages).toContain('failover step detach-from-old-primary failed');
      expect(messages).not.toContain('failover step fence-old-primary failed');
    } finally {
      error.mockRestore();
    }
  });

  it('on a failed step: topology unchanged, automatic failover disabled, db.failover-failed, pool back on the old primary', async () => {
    const { topology, probe, dataSource, events, runner, file } = await world();
    probe.failing.add('detachReplica');
    const record = await runner.failover('primary confirmed down');
    expect(record).toMatchObject({ outcome: 'failed', newPrimary: null, epoch: 0 });
    expect(record.error).toMatch(/detach-from-old-primary: detachReplica failed/);
    expect(topology.primaryKey).toBe(P);
    expect(file.saved).toMatchObject({ epoch: 0, primary: P, fenced: [] });
    expect(file.saved?.control.disabledReason).toMatch(/failed at detach-from-old-primary/);
    expect(events.names()).toEqual(['db.failover-started', 'db.failover-failed']);
    expect(events.emitted[1].payload).toMatchObject({ step: 'detach-from-old-primary', oldPrimary: P });
    expect(dataSource.opened).toEqual([1]);
    expect(file.saved?.history[0]).toMatchObject({ outcome: 'failed' });
  });

  it('a leader deposed mid-failover stops at the next step and touches nothing more: no undo, no topology, no history', async () => {
    const { probe, runner, topology, automatic, leadership, file, events } = await world();
    const stop = probe.stopReplicaIo.bind(probe);
    probe.stopReplicaIo = async (address) => {
      await stop(address);
      leadership.leading = false; // paused past its lease while the IO thread stopped
    };
    const record = await runner.failover('primary confirmed down');
    expect(record.error).toMatch(/abandoned: .*does not lead the cluster/);
    expect(probe.calls.at(-1)).toBe(`${S2} stopReplicaIo`);
    expect(topology.epoch).toBe(0);
    // Only the intent was stored, before the candidate was touched: the next leader finishes on that candidate.
    expect(file.saved).toMatchObject({ epoch: 0, primary: P, pending: { candidate: S2, oldPrimary: P } });
    expect(file.saved?.history).toEqual([]);
    expect(automatic.disabledReason).toBeNull();
    expect(events.names()).toEqual(['db.failover-started']);
  });

  it('a next leader finishes an interrupted failover on its candidate: detached already, it is made writable, not re-chosen', async () => {
    const { probe, runner, topology, file } = await world();
    await probe.detachReplica({ key: S1, host: '127.0.0.1', port: 2 });
    probe.calls.length = 0;
    await topology.update((state) => ({
      ...state,
      pending: { id: 'fo-left', candidate: S1, oldPrimary: P, startedAt: '2026-11-27T11:59:00.000Z', by: 'node-a' },
    }));
    const record = await runner.failover('resuming failover fo-left');
    expect(record).toMatchObject({ outcome: 'succeeded', newPrimary: S1, epoch: 1 });
    const names = record.steps.map((s) => s.name);
    expect(names).not.toContain('choose-candidate');
    expect(names).not.toContain('stop-io-thread');
    expect(probe.server(S1).readOnly).toBe(false);
    expect(file.saved).toMatchObject({ primary: S1, pending: null });
  });

  it("a next leader prepares an interrupted failover's candidate whose IO thread was only stopped", async () => {
    const { probe, runner, topology } = await world();
    probe.server(S1).replica!.ioRunning = 'No';
    await topology.update((state) => ({
      ...state,
      pending: { id: 'fo-left', candidate: S1, oldPrimary: P, startedAt: '2026-11-27T11:59:00.000Z', by: 'node-a' },
    }));
    const record = await runner.failover('resuming failover fo-left');
    expect(record).toMatchObject({ outcome: 'succeeded', newPrimary: S1 });
    expect(record.steps.map((s) => s.name)).toContain('detach-from-old-primary');
  });

  it('refuses to start a failover on a node that does not lead', async () => {
    const { runner, leadership, probe } = await world();
    leadership.leading = false;
    await expect(runner.failover('down')).rejects.toThrow(/does not lead the cluster/);
    expect(probe.calls).toEqual([]);
  });

  it('resumes the candidate it stopped when the relay log is not applied in time', async () => {
    const { probe, runner, topology, automatic } = await world();
    probe.server(S2).appliesWithinTimeout = false;
    const record = await runner.failover('down');
    expect(record.error).toMatch(/apply-relay-log/);
    expect(probe.calls.slice(-1)).toEqual([`${S2} startReplicaIo`]);
    expect(probe.server(S2).replica?.ioRunning).toBe('Yes');
    expect(topology.primaryKey).toBe(P);
    expect(automatic.disabledReason).toMatch(/failed at apply-relay-log/);
  });

  it('does not restart an IO thread it could not stop (still running)', async () => {
    const { probe, runner } = await world();
    probe.failing.add('stopReplicaIo');
    const record = await runner.failover('down');
    expect(record.error).toMatch(/stop-io-thread: stopReplicaIo failed/);
    expect(probe.server(S2).replica?.ioRunning).toBe('Yes');
    expect(probe.calls.filter((call) => call.startsWith(S2) && !call.endsWith('replicaStatus'))).toEqual([
      `${S2} stopReplicaIo`,
    ]);
    expect(record.steps.map((s) => s.name)).not.toContain('undo-resume-candidate');
  });

  it('restarts an IO thread whose stop reported an error but went through (the connection dropped after it)', async () => {
    const { probe, runner } = await world();
    const stop = probe.stopReplicaIo.bind(probe);
    probe.stopReplicaIo = async (address) => {
      await stop(address);
      throw new Error(`Connection lost after STOP SLAVE IO_THREAD on ${address.key}`);
    };
    const record = await runner.failover('down');
    expect(record.error).toMatch(/stop-io-thread: Connection lost/);
    expect(record.steps.map((s) => s.name)).toContain('undo-resume-candidate');
    expect(probe.server(S2).replica?.ioRunning).toBe('Yes');
  });

  it('once the topology names the new primary, a failure to enable writes keeps it (read-only, no second writable server)', async () => {
    const { probe, runner, topology, events, dataSource } = await world();
    probe.failing.add('setReadOnly');
    const record = await runner.failover('down');
    expect(record).toMatchObject({ outcome: 'failed', newPrimary: S2, epoch: 1 });
    expect(record.error).toMatch(/enable-writes.*stays pending at enable-writes/);
    expect(topology.primaryKey).toBe(S2);
    expect(probe.server(S2).readOnly).toBe(true);
    expect(dataSource.opened).toContain(3);
    // Clients hear of the new primary only once it takes writes (finishPersisted).
    expect(events.names()).toEqual(['db.failover-started', 'db.failover-failed']);
    expect(events.emitted[1].payload).toMatchObject({ step: 'enable-writes', epoch: 1 });
  });

  it('a failure to enable writes past the point of no return leaves the intent at enable-writes, which finishPersisted completes', async () => {
    const { probe, runner, topology, events, automatic } = await world();
    probe.failing.add('setReadOnly');
    await runner.failover('down');
    // Kept for the monitor (decideInterrupted: finish), not deleted; automatic failover stays enabled.
    expect(topology.state.pending).toMatchObject({ candidate: S2, oldPrimary: P, step: 'enable-writes' });
    expect(automatic.disabledReason).toBeNull();
    probe.failing.delete('setReadOnly');
    await runner.finishPersisted(topology.state.pending!);
    expect(probe.server(S2).readOnly).toBe(false);
    expect(topology.state.pending).toBeNull();
    expect(events.names()).toEqual(['db.failover-started', 'db.failover-failed', 'db.primary-changed']);
    expect(events.emitted[2].payload).toMatchObject({ kind: 'failover', epoch: 1, oldPrimary: P, newPrimary: S2 });
  });

  it("finishes a switchover's intent as a switchover: its old primary (following already) is not re-pointed", async () => {
    const { probe, runner, topology, events } = await world();
    probe.server(P).up = true;
    probe.server(S1).replica = null;
    await topology.update((state) => ({
      ...state,
      epoch: 1,
      primary: S1,
      pending: {
        id: 'so-x',
        candidate: S1,
        oldPrimary: P,
        startedAt: '',
        by: null,
        step: 'enable-writes',
        kind: 'switchover',
      },
    }));
    await runner.finishPersisted(topology.state.pending!);
    expect(probe.server(S1).readOnly).toBe(false);
    expect(probe.calls).toContain(`${S2} replicateFrom:${S1}`);
    expect(probe.calls.filter((call) => call.startsWith(`${P} replicateFrom`))).toEqual([]);
    expect(events.emitted.at(-1)).toMatchObject({
      name: 'db.primary-changed',
      payload: { id: 'so-x', kind: 'switchover' },
    });
    expect(topology.state.pending).toBeNull();
  });

  it('adopts a standby already promoted (detached and writable) instead of promoting a second one', async () => {
    const { probe, runner, topology } = await world();
    probe.server(S1).replica = null;
    probe.server(S1).readOnly = false;
    const record = await runner.failover('down');
    expect(record).toMatchObject({ outcome: 'succeeded', newPrimary: S1, epoch: 1 });
    expect(record.steps.find((s) => s.name === 'find-promoted-standby')?.detail).toBe(S1);
    expect(probe.calls.filter((call) => call.startsWith(S2))).toEqual([`${S2} replicateFrom:${S1}`]);
    expect(topology.primaryKey).toBe(S1);
    // Nothing changes on an adopted primary: no epoch check, no record (the node that promoted it wrote one).
    expect(record.steps.map((s) => s.name)).not.toContain('check-epoch');
    expect(record.steps.map((s) => s.name)).not.toContain('record-epoch');
    expect(probe.calls.filter((call) => call.startsWith(S1))).toEqual([]);
  });

  it('keeps automatic failover disabled in memory when the state file cannot be written', async () => {
    const { probe, runner, file, automatic } = await world();
    probe.failing.add('detachReplica');
    const detach = probe.detachReplica.bind(probe);
    probe.detachReplica = async (address) => {
      file.failWrites = true; // the disk fills up after the intent was stored
      return detach(address);
    };
    await runner.failover('down');
    expect(automatic.disabledReason).toMatch(/failed at detach-from-old-primary/);
  });

  it('forgets a disabled state kept in memory once another node stored an acknowledgement (cluster mode)', async () => {
    const { probe, runner, file, automatic, topology } = await world();
    probe.failing.add('detachReplica');
    file.failWrites = true;
    await runner.failover('down').catch(() => undefined);
    expect(automatic.disabledReason).not.toBeNull();
    file.failWrites = false;
    // What the store's watch delivers when the leader of the moment acknowledged.
    (topology as unknown as { applyStored(s: unknown): void }).applyStored({
      ...topology.state,
      updatedAt: '2026-11-27T13:00:00.000Z',
      control: { ...topology.state.control, disabledReason: null },
    });
    expect(automatic.disabledReason).toBeNull();
  });

  it('refuses when no standby can be promoted, naming why', async () => {
    const { probe, runner, topology } = await world();
    probe.server(S1).up = false;
    probe.server(S2).replica!.sqlRunning = 'No';
    const record = await runner.failover('primary confirmed down');
    expect(record.error).toMatch(
      /choose-candidate: no standby can be promoted: 127\.0\.0\.1:2: unreachable.*127\.0\.0\.1:3: SQL thread No/,
    );
    expect(topology.epoch).toBe(0);
  });

  it('leaves other standbys alone, and says so, without a replication account', async () => {
    const { runner, probe } = await world();
    const change = (runner as unknown as { change: { config: unknown } }).change;
    change.config = { ...replicatedConfig(2), replicationAccount: undefined };
    const record = await runner.failover('down');
    expect(record.steps.find((s) => s.name === 'repoint-standbys')?.detail).toMatch(
      /127\.0\.0\.1:2 left replicating from the old primary: DB_REPLICATION_USER is not set/,
    );
    expect(probe.calls.some((call) => call.includes('replicateFrom'))).toBe(false);
  });

  describe('zero-loss guard (await-acknowledged)', () => {
    /** The heartbeats saw the primary at 0-1-15 with semi-sync off; the best standby received 0-1-12. */
    const lagging = async (failover: Partial<FailoverConfig>) => {
      const w = await world({ lossWaitMs: 30, ...failover });
      w.acknowledged.observe({
        primary: P,
        epoch: 0,
        heartbeat: { gtidBinlogPosition: '0-1-15', readOnly: false, semiSyncActive: false },
        received: ['0-1-10', '0-1-12'],
      });
      return w;
    };

    it('fails the failover before touching the candidate when it lacks acknowledged transactions and loss is not allowed', async () => {
      const { runner, probe, topology, automatic, events } = await lagging({});
      const record = await runner.failover('down');
      expect(record.outcome).toBe('failed');
      expect(record.error).toMatch(/await-acknowledged: .*127\.0\.0\.1:3 received 0-1-12 .*possibly lost 0-1-13\.\.15/);
      expect(record.error).toMatch(/FAILOVER_ALLOW_LOSS=false/);
      expect(probe.calls.some((call) => call.includes('stopReplicaIo') || call.includes('detachReplica'))).toBe(false);
      expect(topology.epoch).toBe(0);
      expect(automatic.disabledReason).toMatch(/await-acknowledged/);
      expect(possibleLoss(events)).toEqual([]);
      expect(events.emitted.find((e) => e.name === 'db.failover-failed')?.payload).toMatchObject({
        step: 'await-acknowledged',
      });
    });

    it('with FAILOVER_ALLOW_LOSS=true promotes after the wait and reports what may be lost', async () => {
      const { runner, events } = await lagging({ allowLoss: true });
      const record = await runner.failover('down');
      expect(record.outcome).toBe('succeeded');
      expect(record.newPrimary).toBe(S2);
      expect(record.steps.find((s) => s.name === 'await-acknowledged')?.detail).toMatch(
        /FAILOVER_ALLOW_LOSS=true: promoted anyway; .*possibly lost 0-1-13\.\.15/,
      );
      expect(possibleLoss(events)).toEqual([
        expect.objectContaining({ id: record.id, candidate: S2, acknowledged: '0-1-15', received: '0-1-12' }),
      ]);
    });

    it('promotes without loss once the candidate receives the rest during the wait', async () => {
      const { runner, probe, events } = await lagging({ lossWaitMs: 60_000 });
      setTimeout(() => (probe.server(S2).replica!.gtidIoPosition = '0-1-15'), 150);
      const record = await runner.failover('down');
      expect(record.outcome).toBe('succeeded');
      expect(record.steps.find((s) => s.name === 'await-acknowledged')?.detail).toMatch(
        /127\.0\.0\.1:3 received 0-1-15, holding the acknowledged position 0-1-15/,
      );
      expect(possibleLoss(events)).toEqual([]);
    });
  });

  describe('the failover journal', () => {
    it('writes each step before it runs, in order, through the topology, and clears it at the end', async () => {
      const { runner, file } = await world();
      const journal: (string | null)[] = [];
      const write = file.write.bind(file);
      file.write = async (state) => {
        const step = state.pending?.step ?? null;
        if (journal.at(-1) !== step) journal.push(step);
        await write(state);
      };
      await runner.failover('primary confirmed down');
      expect(journal).toEqual([
        'record-intent',
        'stop-io-thread',
        'detach-from-old-primary',
        'persist-topology',
        'enable-writes',
        'repoint-standbys',
        null,
      ]);
    });

    it('persist-topology moves the journal past the point of no return in the same write that names the new primary', async () => {
      const { runner, file } = await world();
      const persisted: unknown[] = [];
      const write = file.write.bind(file);
      file.write = async (state) => {
        if (state.epoch === 1 && persisted.length === 0)
          persisted.push({ primary: state.primary, step: state.pending?.step });
        await write(state);
      };
      await runner.failover('primary confirmed down');
      expect(persisted).toEqual([{ primary: S2, step: 'enable-writes' }]);
    });

    it('notes in the intent that the old primary was fenced, and a rollback lifts that fence', async () => {
      const { runner, probe, topology } = await world();
      probe.server(P).up = true;
      // The intent as it stood when the candidate was detached (this run itself goes on and succeeds).
      const detach = probe.detachReplica.bind(probe);
      let intent: unknown = null;
      probe.detachReplica = async (address) => {
        intent = topology.state.pending;
        return detach(address);
      };
      await runner.failover('down');
      expect(intent).toMatchObject({ candidate: S2, oldPrimary: P, fencedOldPrimary: true });
      // As after a kill -9 past detach-from-old-primary: the intent left, the old primary read-only.
      await probe.setReadOnly({ key: P, host: '127.0.0.1', port: 1 }, true);
      await topology.update((state) => ({ ...state, primary: P, epoch: 0, pending: intent as never }));
      probe.calls.length = 0;
      await runner.abandonPending(topology.state.pending!);
      expect(probe.calls).toContain(`${P} setReadOnly:false`);
      expect(probe.server(P).readOnly).toBe(false);
      expect(topology.state.pending).toBeNull();
    });

    it('a resumed intent notes the fence too; an intent without it lifts nothing', async () => {
      const { runner, probe, topology } = await world();
      probe.server(P).up = true;
      probe.server(P).readOnly = true; // fenced by somebody else, or an intent from before the field existed
      const left = {
        id: 'fo-left',
        candidate: S2,
        oldPrimary: P,
        startedAt: '',
        by: null,
        step: 'stop-io-thread' as const,
      };
      await topology.update((state) => ({ ...state, pending: left }));
      await runner.abandonPending(topology.state.pending!);
      expect(probe.server(P).readOnly).toBe(true);
      expect(probe.calls).not.toContain(`${P} setReadOnly:false`);
      // Resumed while the old primary still takes the fence: the intent says so.
      const { runner: next, probe: probe2, topology: topology2 } = await world();
      probe2.server(P).up = true;
      probe2.failing.add('detachReplica');
      await topology2.update((state) => ({ ...state, pending: left }));
      let noted: unknown = null;
      const stop = probe2.stopReplicaIo.bind(probe2);
      probe2.stopReplicaIo = async (address) => {
        noted = topology2.state.pending;
        return stop(address);
      };
      await next.failover('resuming failover fo-left');
      expect(noted).toMatchObject({ id: 'fo-left', fencedOldPrimary: true });
    });

    it('rolling back an interrupted failover restarts both threads of a candidate that was not detached', async () => {
      const { runner, probe, topology } = await world();
      probe.server(P).up = true;
      Object.assign(probe.server(S2).replica!, { ioRunning: 'No', sqlRunning: 'No' });
      await topology.update((state) => ({
        ...state,
        pending: {
          id: 'fo-left',
          candidate: S2,
          oldPrimary: P,
          startedAt: '',
          by: null,
          step: 'detach-from-old-primary',
        },
      }));
      await runner.abandonPending(topology.state.pending!);
      expect(probe.calls).toEqual([`${S2} startReplica`]);
      expect(probe.server(S2).replica).toMatchObject({ ioRunning: 'Yes', sqlRunning: 'Yes' });
      expect(topology.state.pending).toBeNull();
    });
  });
});

describe('FailoverRunner.tryExclusive (standby repairs, replica configuration)', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('makes a failover or switchover wait until it ends (never both at once), and readiness does not see a primary change', async () => {
    const { runner } = await world();
    const order: string[] = [];
    let failover: Promise<unknown> | undefined;
    const result = await runner.tryExclusive('repairing standby', async () => {
      expect(runner.inProgress).toBe(false);
      failover = runner.failover('primary confirmed down').then((record) => {
        order.push('failover');
        return record;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      order.push('repair done');
      return 'done';
    });
    expect(result).toBe('done');
    await expect(failover).resolves.toMatchObject({ outcome: 'succeeded' });
    expect(order).toEqual(['repair done', 'failover']);
  });

  it('runs nothing while a failover or another such work runs, and only on the leader', async () => {
    const { runner, leadership } = await world();
    const inner = await runner.tryExclusive('configuring replicas', () =>
      runner.tryExclusive('repairing standby', async () => 'ran'),
    );
    expect(inner).toBeUndefined();
    leadership.leading = false;
    await expect(runner.tryExclusive('repairing standby', async () => 'ran')).rejects.toThrow(/repairing standby/);
  });
});
