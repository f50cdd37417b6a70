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
import type { DataSourceSwitch } from '../database/data-source-switch';
import { DatabaseTopology } from '../database/topology/database-topology';
import { AppPool } from './app-pool';
import { AutomaticFailover } from './automatic-failover';
import type { FailoverHistoryService } from './failover-history.service';
import { Promoter } from './promotion/promoter';
import { SwitchoverProcedure } from './switchover.procedure';
import { TopologyChange } from './topology-change';

const P = '127.0.0.1:1';
const S1 = '127.0.0.1:2';
const S2 = '127.0.0.1:3';

async function world(config = replicatedConfig(2)) {
  const clock = new FakeClock(new Date('2026-11-27T12:00:00Z'));
  const file = new InMemoryTopologyFile();
  const topology = new DatabaseTopology(config, file.asStore(), clock);
  const leadership = new SwitchableLeadership();
  await topology.ready();
  const probe = new FakeServerProbe()
    .add(P, { gtidBinlogPosition: '0-1-20' })
    .add(S1, { readOnly: true, replica: replicaStatus({ gtidIoPosition: '0-1-20' }) })
    .add(S2, { readOnly: true, replica: replicaStatus({ gtidIoPosition: '0-1-19' }) });
  const dataSource = new FakeDataSourceSwitch();
  const events = new RecordingEventBus();
  const history = { record: async () => undefined } as unknown as FailoverHistoryService;
  const change = new TopologyChange(config, topology, probe, clock);
  const pool = new AppPool(dataSource as unknown as DataSourceSwitch, topology);
  const automatic = new AutomaticFailover(topology);
  const promoter = new Promoter(probe, config.failover.applyTimeoutMs);
  const procedure = new SwitchoverProcedure(
    config,
    topology,
    probe,
    pool,
    history,
    change,
    promoter,
    automatic,
    events.asBus(),
    clock,
    leadership,
  );
  return { topology, probe, dataSource, events, procedure, file, automatic };
}

/** `key` refuses read_only = OFF (after `first`, if given): a server lost half-way, or a failing SET GLOBAL. */
function failToLiftReadOnly(probe: FakeServerProbe, key: string, first: () => void = () => undefined): void {
  const setReadOnly = probe.setReadOnly.bind(probe);
  probe.setReadOnly = async (address, on) => {
    if (address.key !== key || on) return setReadOnly(address, on);
    first();
    throw new Error(`connect ECONNREFUSED ${key}`);
  };
}

describe('SwitchoverProcedure', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('demotes, waits for the final position, promotes, moves the app, and makes the old primary follow', async () => {
    const { topology, probe, dataSource, events, procedure, file } = await world();
    const record = await procedure.run(S2);
    expect(record).toMatchObject({ kind: 'switchover', outcome: 'succeeded', oldPrimary: P, newPrimary: S2, epoch: 1 });
    expect(probe.calls).toEqual([
      `${P} setReadOnly:true`,
      `${P} killConnectionsOf:logic_ha`,
      `${S2} waitForApplied:0-1-20`,
      `${S2} stopReplicaIo`,
      `${S2} waitForApplied:0-1-19`,
      `${S2} detachReplica`,
      `${S2} setReadOnly:false`,
      `${P} replicateFrom:${S2}`,
      `${S1} replicateFrom:${S2}`,
      `${S2} recordEpoch:1`,
    ]);
    expect(probe.server(S2).epochs).toEqual([
      expect.objectContaining({ epoch: 1, primary: S2, managedBy: 'single-node', writer: null }),
    ]);
    expect(record.steps.find((s) => s.name === 'record-epoch')).toMatchObject({ ok: true });
    expect(topology.primaryKey).toBe(S2);
    // Deliberate: the old primary is a standby, not fenced, and no cooldown blocks automatic failover.
    expect(file.saved).toMatchObject({ epoch: 1, primary: S2, fenced: [], control: { acknowledged: true } });
    expect(dataSource.opened).toEqual([3]);
    expect(events.names()).toEqual(['db.failover-started', 'db.primary-changed']);
  });

  it('with FAILOVER_CONFIGURE_REPLICAS, turns the semi-sync master role of the old primary off before it follows (else what it applies stalls)', async () => {
    const base = replicatedConfig(2);
    const { probe, procedure } = await world({ ...base, failover: { ...base.failover, configureReplicas: true } });
    const record = await procedure.run(S2);
    expect(record.outcome).toBe('succeeded');
    const calls = probe.calls;
    expect(calls).toContain(`${P} setSemiSync:master=false`);
    expect(calls.indexOf(`${P} setSemiSync:master=false`)).toBeLessThan(calls.indexOf(`${P} replicateFrom:${S2}`));
    expect(record.steps.map((s) => s.name)).toContain('old-primary-semi-sync-master-off');
  });

  it('picks the most advanced standby when no target is named', async () => {
    const { procedure } = await world();
    expect((await procedure.run()).newPrimary).toBe(S1);
  });

  it.each([
    [
      'an unknown target',
      (w: Awaited<ReturnType<typeof world>>) => w.procedure.run('10.9.9.9:3306'),
      /not in DB_PRIMARY_URL/,
    ],
    [
      'the primary as target',
      (w: Awaited<ReturnType<typeof world>>) => w.procedure.run(P),
      /127\.0\.0\.1:1 is the primary, not a standby/,
    ],
    [
      'a primary that does not answer',
      (w: Awaited<ReturnType<typeof world>>) => ((w.probe.server(P).up = false), w.procedure.run()),
      /calls for a failover/,
    ],
    [
      'a target whose IO thread is down',
      (w: Awaited<ReturnType<typeof world>>) => (
        (w.probe.server(S1).replica!.ioRunning = 'Connecting'),
        w.procedure.run(S1)
      ),
      /no standby is replicating/,
    ],
  ])('refuses %s before changing anything', async (_, act, expected) => {
    const w = await world();
    await expect(act(w)).rejects.toThrow(expected);
    expect(w.probe.calls).toEqual([]);
    expect(w.dataSource.inProgress).toBe(false);
    expect(w.file.saved).toBeNull();
  });

  it('refuses without a replication account: the old primary could not follow', async () => {
    const { procedure, probe } = await world({ ...replicatedConfig(2), replicationAccount: undefined });
    await expect(procedure.run()).rejects.toThrow(/DB_REPLICATION_USER is not set/);
    expect(probe.calls).toEqual([]);
  });

  it('refuses a target recording a higher epoch than ours, before touching anything: another logic-ha changed the topology', async () => {
    const w = await world();
    w.probe.server(S1).epochs = [recordedEpoch({ epoch: 2, primary: P, managedBy: 'cluster', writer: 'node-b' })];
    await expect(w.procedure.run(S1)).rejects.toThrow(
      /switchover refused: server 127\.0\.0\.1:2 records epoch 2 > ours 0: another logic-ha changed the topology; re-read it \(.*by node-b/,
    );
    expect(w.probe.calls).toEqual([]);
    expect(w.file.saved).toBeNull();
  });

  it('goes on when the target records our epoch, and when its record cannot be read', async () => {
    const same = await world();
    same.probe.server(S1).epochs = [recordedEpoch({ epoch: 0 })];
    expect(await same.procedure.run(S1)).toMatchObject({ outcome: 'succeeded', epoch: 1 });
    const unreadable = await world();
    unreadable.probe.failing.add('recordedEpoch');
    expect(await unreadable.procedure.run(S1)).toMatchObject({ outcome: 'succeeded', epoch: 1 });
  });

  it('refuses a target lagging more than a few seconds, before touching anything', async () => {
    const w = await world();
    w.probe.server(S1).replica!.secondsBehindMaster = 120;
    await expect(w.procedure.run(S1)).rejects.toThrow(/127\.0\.0\.1:2 is 120 s behind the primary \(at most 5 s\)/);
    expect(w.probe.calls).toEqual([]);
  });

  it('a target that failed during its promotion goes back to read-only and follows the old primary', async () => {
    const { probe, procedure, topology } = await world();
    probe.failing.add('detachReplica');
    const record = await procedure.run(S1);
    expect(record.error).toMatch(/detach-from-old-primary/);
    expect(probe.calls.slice(-3)).toEqual([
      `${S1} setReadOnly:true`,
      `${S1} replicateFrom:${P}`,
      `${P} setReadOnly:false`,
    ]);
    expect(topology.primaryKey).toBe(P);
  });

  it('rolls back to the old primary when the target cannot catch up, leaving the untouched target alone', async () => {
    const { topology, probe, dataSource, events, procedure, file } = await world();
    probe.server(S1).appliesWithinTimeout = false;
    const record = await procedure.run(S1);
    expect(record).toMatchObject({ outcome: 'failed', newPrimary: null, epoch: 0 });
    expect(record.error).toMatch(/catch-up: .*did not apply 0-1-20/);
    expect(probe.server(P).readOnly).toBe(false);
    expect(probe.calls.slice(-2)).toEqual([`${S1} waitForApplied:0-1-20`, `${P} setReadOnly:false`]);
    expect(topology.primaryKey).toBe(P);
    expect(dataSource.opened).toEqual([1]);
    expect(file.saved?.control.disabledReason ?? null).toBeNull();
    expect(events.names()).toEqual(['db.failover-started', 'db.failover-failed']);
  });

  it('stays disabled when the roll-back did not complete, though the state file cannot be written', async () => {
    const { probe, procedure, file, automatic } = await world();
    probe.server(S1).appliesWithinTimeout = false;
    failToLiftReadOnly(probe, P);
    file.failWrites = true;
    const record = await procedure.run(S1);
    expect(record.steps.find((s) => s.name === 'roll-back-old-primary')).toMatchObject({ ok: false });
    expect(automatic.disabledReason).toMatch(/failed at catch-up: .* and its roll-back did not complete/);
  });

  it('a new primary that cannot be made writable leaves an intent at enable-writes for the monitor, and no db.primary-changed yet', async () => {
    const { probe, procedure, topology, events, automatic } = await world();
    failToLiftReadOnly(probe, S1);
    const record = await procedure.run(S1);
    expect(topology.primaryKey).toBe(S1);
    expect(record.error).toMatch(/enable-writes.*stays pending at enable-writes/);
    expect(topology.state.pending).toMatchObject({
      candidate: S1,
      oldPrimary: P,
      kind: 'switchover',
      step: 'enable-writes',
    });
    expect(automatic.disabledReason).toBeNull();
    expect(events.names()).toEqual(['db.failover-started', 'db.failover-failed']);
  });

  it('stays disabled when the new primary cannot be made writable and the disk fills after the topology names it', async () => {
    const { probe, procedure, file, topology, automatic } = await world();
    failToLiftReadOnly(probe, S1, () => (file.failWrites = true));
    const record = await procedure.run(S1);
    expect(topology.primaryKey).toBe(S1);
    expect(record.error).toMatch(/enable-writes/);
    expect(file.saved?.control.disabledReason).toBeNull();
    expect(automatic.disabledReason).toMatch(/127\.0\.0\.1:2 is the primary but could not be made writable/);
  });
});
