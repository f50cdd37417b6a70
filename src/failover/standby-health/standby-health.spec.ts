import { Logger } from '@nestjs/common';
import { FakeClock } from '../../../test/support/fake-clock';
import { InMemoryTopologyFile, RecordingEventBus, replicatedConfig } from '../../../test/support/failover-fakes';
import { FakeServerProbe, replicaStatus } from '../../../test/support/fake-server-probe';
import { DatabaseTopology } from '../../database/topology/database-topology';
import { StandbyHealth, sightingOf } from './standby-health';

const P = '127.0.0.1:1';
const S = '127.0.0.1:2';

async function world() {
  const clock = new FakeClock(new Date('2026-11-27T12:00:00Z'));
  const config = replicatedConfig(1);
  const topology = new DatabaseTopology(config, new InMemoryTopologyFile().asStore(), clock);
  await topology.ready();
  const probe = new FakeServerProbe()
    .add(P, { gtidBinlogPosition: '0-1-10' })
    .add(S, { readOnly: true, gtidBinlogPosition: '0-1-10', replica: replicaStatus({ masterPort: 1 }) });
  const events = new RecordingEventBus();
  const health = new StandbyHealth(config, topology, probe, events.asBus(), clock);
  /** One monitor tick's review, the standby read from the fake as the monitor reads it. */
  const review = async (options: { noRepair?: string | null; notJudging?: string | null } = {}) => {
    const replica = probe.server(S).up ? probe.server(S).replica : undefined;
    await health.review({
      standbys: [{ key: S, status: replica === undefined ? undefined : replica && { ...replica } }],
      primaryPosition: probe.server(P).gtidBinlogPosition,
      notJudging: options.notJudging ?? null,
      noRepair: options.noRepair ?? null,
    });
  };
  const problemEvents = () => events.emitted.filter((e) => e.name === 'db.standby-problem').map((e) => e.payload);
  return { probe, health, review, problemEvents };
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

  it('the wrong source, or none: re-pointed with slave_pos when it holds nothing the primary lacks', async () => {
    const wrong = await world();
    wrong.probe.server(S).replica!.masterPort = 9;
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
