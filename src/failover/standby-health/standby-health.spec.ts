import { Logger } from '@nestjs/common';
import { FakeClock } from '../../../test/support/fake-clock';
import { InMemoryTopologyFile, RecordingEventBus, replicatedConfig } from '../../../test/support/failover-fakes';
import { FakeGtidStates } from '../../../test/support/fake-gtid-states';
import { FakeServerProbe, replicaStatus } from '../../../test/support/fake-server-probe';
import { DatabaseTopology } from '../../database/topology/database-topology';
import { StandbyHealth, sightingOf } from './standby-health';

const P = '127.0.0.1:1';
const S = '127.0.0.1:2';

async function world() {
  const clock = new FakeClock(new Date('2026-11-27T12:00:00Z'));
  const config = replicatedConfig(2);
  const topology = new DatabaseTopology(config, new InMemoryTopologyFile().asStore(), clock);
  await topology.ready();
  const probe = new FakeServerProbe()
    .add(P, { gtidBinlogPosition: '0-1-10' })
    .add(S, { readOnly: true, gtidBinlogPosition: '0-1-10', replica: replicaStatus({ masterPort: 1 }) });
  const events = new RecordingEventBus();
  const gtid = new FakeGtidStates(probe);
  const health = new StandbyHealth(config, topology, probe, events.asBus(), clock, gtid);
  /** Whether a failover or switchover holds the runner (tryExclusive then runs nothing). */
  const runner = { busy: false, before: async () => {} };
  /** One monitor tick's review, the standby read from the fake as the monitor reads it. */
  const review = async (options: { noRepair?: string | null; notJudging?: string | null } = {}) => {
    const replica = probe.server(S).up ? probe.server(S).replica : undefined;
    await health.review({
      standbys: [{ key: S, status: replica === undefined ? undefined : replica && { ...replica } }],
      primaryPosition: probe.server(P).gtidBinlogPosition,
      notJudging: options.notJudging ?? null,
      noRepair: options.noRepair ?? null,
      exclusive: async <T>(_what: string, work: () => Promise<T>) =>
        runner.busy ? undefined : runner.before().then(work),
    });
  };
  const problemEvents = () => events.emitted.filter((e) => e.name === 'db.standby-problem').map((e) => e.payload);
  return { probe, health, review, problemEvents, gtid, topology, runner };
}

describe('StandbyHealth', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('a healthy standby: no problem, no warning, no event', async () => {
    const { health, review, problemEvents } = await world();
    await review();
    await review();
    expect(health.problems()).toEqual([]);
    expect(problemEvents()).toEqual([]);
  });

  it('STOP SLAVE by hand: reported from the second tick, once, repaired with START SLAVE, then gone', async () => {
    const { probe, health, review, problemEvents } = await world();
    Object.assign(probe.server(S).replica!, { ioRunning: 'No', sqlRunning: 'No' });
    await review();
    expect(health.problems()).toEqual([]); // one tick is a blip
    await review();
    expect(probe.calls).toEqual([`${S} startReplica`]);
    expect(problemEvents()).toEqual([
      { server: S, epoch: 0, problem: expect.stringContaining('replication stopped'), repaired: false },
      { server: S, epoch: 0, problem: expect.stringContaining('replication stopped'), repaired: true },
    ]);
    expect(health.warnings()).toEqual([expect.stringMatching(/replication stopped .*\(repaired: START SLAVE\)$/)]);
    await review();
    expect(health.problems()).toEqual([]);
    expect(problemEvents()).toHaveLength(2);
  });

  it('in maintenance (or on a follower): reported, not repaired; repaired once allowed', async () => {
    const { probe, health, review, problemEvents } = await world();
    probe.server(S).replica!.ioRunning = 'No';
    for (let i = 0; i < 4; i++) await review({ noRepair: 'maintenance mode' });
    expect(probe.calls).toEqual([]);
    expect(problemEvents()).toEqual([expect.objectContaining({ repaired: false })]);
    expect(health.problems()).toEqual([
      expect.objectContaining({ server: S, kind: 'stopped', repair: 'not repaired: maintenance mode' }),
    ]);
    await review();
    expect(probe.calls).toEqual([`${S} startReplica`]);
  });

  it('an SQL error is reported, never repaired', async () => {
    const { probe, health, review } = await world();
    Object.assign(probe.server(S).replica!, {
      sqlRunning: 'No',
      lastSqlError: "Duplicate entry '1' for key 'PRIMARY'",
    });
    for (let i = 0; i < 3; i++) await review();
    expect(probe.calls).toEqual([]);
    expect(health.problems()).toEqual([
      expect.objectContaining({ kind: 'sql-error', repair: 'not repaired automatically: an SQL error needs a person' }),
    ]);
  });

  it('another configured server as source, or none: re-pointed with slave_pos when it holds nothing the primary lacks', async () => {
    const wrong = await world();
    wrong.probe.server(S).replica!.masterPort = 3;
    await wrong.review();
    await wrong.review();
    expect(wrong.probe.calls).toEqual([`${S} replicateFrom:${P}`]);
    expect(wrong.problemEvents()).toEqual([
      expect.objectContaining({ repaired: false }),
      expect.objectContaining({ repaired: true }),
    ]);

    const detached = await world();
    detached.probe.server(S).replica = null;
    await detached.review();
    await detached.review();
    expect(detached.probe.calls).toEqual([`${S} replicateFrom:${P}`]);
  });

  it('a source no configured server has (a proxy, NAT, an alias): noted in the warnings, never re-pointed, no problem', async () => {
    const { probe, health, review, problemEvents } = await world();
    probe.server(S).replica!.masterPort = 45123;
    for (let i = 0; i < 3; i++) await review();
    expect(probe.calls).toEqual([]);
    expect(health.problems()).toEqual([]);
    expect(problemEvents()).toEqual([]);
    expect(health.warnings()).toEqual([
      `standby ${S} replicates from 127.0.0.1:45123, which is not a server logic-ha knows; if it is an alias of ${P} ignore this`,
    ]);
    // Back on the primary: the note goes.
    probe.server(S).replica!.masterPort = 1;
    await review();
    expect(health.warnings()).toEqual([]);
  });

  it('never re-points a standby whose history has a server_id the primary never saw in that domain', async () => {
    const { probe, health, review } = await world();
    probe.server(P).gtidBinlogPosition = '0-1-600';
    probe.server(S).replica = null;
    // Per domain only, 0-3-501 would pass as "within 0-1-600".
    probe.server(S).gtidBinlogPosition = '0-3-501';
    for (let i = 0; i < 3; i++) await review();
    expect(probe.calls).toEqual([]);
    expect(health.warnings()).toEqual([
      expect.stringMatching(/not repaired: it holds transactions the primary lacks \(0-3-1-501/),
    ]);
    // Once the primary's history holds server 3's transactions (its gtid_binlog_state), it is safe.
    const after = await world();
    after.probe.server(P).gtidBinlogPosition = '0-1-600';
    after.gtid.states.set(P, '0-3-501,0-1-600');
    after.probe.server(S).replica = null;
    after.probe.server(S).gtidBinlogPosition = '0-3-501';
    for (let i = 0; i < 2; i++) await after.review();
    expect(after.probe.calls).toEqual([`${S} replicateFrom:${P}`]);
  });

  it('repairs only exclusively of failovers and switchovers, and not after a primary change', async () => {
    const { probe, health, review, runner, topology } = await world();
    probe.server(S).replica!.masterPort = 3;
    runner.busy = true;
    for (let i = 0; i < 3; i++) await review();
    expect(probe.calls).toEqual([]);
    expect(health.warnings()).toEqual([expect.stringMatching(/not repaired yet: a failover or switchover is running/)]);
    // A primary change between the tick's look and the repair (a switchover that just ended): nothing done.
    runner.busy = false;
    runner.before = async () => void (await topology.update((state) => ({ ...state, epoch: state.epoch + 1 })));
    await review();
    expect(probe.calls).toEqual([]);
    runner.before = async () => {};
    await review();
    expect(probe.calls).toEqual([`${S} replicateFrom:${P}`]);
  });

  it('never re-points a standby holding transactions the primary lacks (errant)', async () => {
    const { probe, health, review } = await world();
    probe.server(S).replica = null;
    probe.server(S).gtidBinlogPosition = '0-1-10,0-2-3,7-2-1';
    for (let i = 0; i < 3; i++) await review();
    expect(probe.calls).toEqual([]);
    expect(health.warnings()).toEqual([expect.stringMatching(/not repaired: it holds transactions the primary lacks/)]);
  });

  it('an unreachable standby is reported, not repaired; nothing is judged during a failover', async () => {
    const { probe, health, review } = await world();
    probe.server(S).up = false;
    await review({ notJudging: 'a failover is running or pending' });
    await review({ notJudging: 'a failover is running or pending' });
    expect(health.problems()).toEqual([]);
    await review();
    await review();
    expect(health.problems()).toEqual([expect.objectContaining({ kind: 'unreachable' })]);
    expect(probe.calls).toEqual([]);
  });

  it('reads the monitor observation: answering but replicating from nothing is null, not answering is undefined', () => {
    const base = { key: S, status: null, lastError: null };
    expect(sightingOf({ ...base, reachable: false, lastError: 'not replicating' }).status).toBeNull();
    expect(sightingOf({ ...base, reachable: false, lastError: 'ECONNREFUSED' }).status).toBeUndefined();
  });
});
