import { FakeClock } from '../../../test/support/fake-clock';
import {
  InMemoryTopologyFile,
  RecordingEventBus,
  SwitchableLeadership,
  replicatedConfig,
} from '../../../test/support/failover-fakes';
import { FakeServerProbe, replicaStatus } from '../../../test/support/fake-server-probe';
import { type RebuildPlan, type RebuildResult, ReplicaRebuilder } from '../../database/replication/replica-rebuilder';
import { ErrorKind } from '../../common/errors/domain-error';
import { DatabaseTopology } from '../../database/topology/database-topology';
import type { FailoverRunner } from '../failover-runner';
import type { FencedServerView, Fencer } from '../fencer';
import type { ServerAddress } from '../probes/server-probe';
import { type ErrantChanges, ErrantChangeReader } from './errant-change-reader';
import type { ErrantRange } from './gtid-set';
import { type GtidState, RejoinProbe, type ReplicationSetup } from './rejoin-probe';
import { RejoinProcedure } from './rejoin.procedure';
import { RejoinService } from './rejoin.service';

const P = '127.0.0.1:1';
const OLD = '127.0.0.1:2';

/** GTID variables per server; replicate() makes the server catch up at once (its slave pos = the source's binlog pos). */
class FakeRejoinProbe extends RejoinProbe {
  readonly states = new Map<string, GtidState>();
  readonly calls: string[] = [];
  catchesUp = true;

  constructor(private readonly servers: FakeServerProbe) {
    super();
  }

  set(key: string, state: Partial<GtidState>): this {
    this.states.set(key, { binlogPos: '', binlogState: '', slavePos: '', ...state });
    return this;
  }

  async gtidState(server: ServerAddress): Promise<GtidState> {
    if (!this.servers.server(server.key).up) throw new Error(`connect ECONNREFUSED ${server.key}`);
    return { ...this.states.get(server.key)! };
  }

  async replicate(server: ServerAddress, setup: ReplicationSetup): Promise<void> {
    this.calls.push(
      `${server.key} replicate from ${setup.source.key} ${setup.useGtid}${setup.slavePos ? ` ${setup.slavePos}` : ''} heartbeat ${setup.heartbeatPeriodSeconds}`,
    );
    this.servers.server(server.key).replica = replicaStatus({ masterPort: setup.source.port });
    if (this.catchesUp) this.states.get(server.key)!.slavePos = this.states.get(setup.source.key)!.binlogPos;
  }

  async resetForRebuild(server: ServerAddress): Promise<void> {
    this.calls.push(`${server.key} reset`);
  }

  async binlogFiles(): Promise<string[]> {
    return ['binlog.000001'];
  }
}

class FakeChangeReader extends ErrantChangeReader {
  reads = 0;
  async read(_server: ServerAddress, ranges: ErrantRange[]): Promise<ErrantChanges> {
    this.reads++;
    const gtid = `${ranges[0].domain}-${ranges[0].serverId}-${ranges[0].to}`;
    return { changes: [{ gtid, table: 'logic_ha.logic_instance', operation: 'UPDATE', rows: 2 }], incomplete: null };
  }
}

/** Its one copy ends at 0-1-140; `holds` is what the procedure said the primary holds. */
class FakeRebuilder extends ReplicaRebuilder {
  readonly method = 'fake copy';
  holds: ((gtid: string) => boolean) | null = null;
  /** No copy the primary holds: refused before any server is touched. */
  refuse = false;
  constructor(private readonly calls: string[]) {
    super();
  }
  async plan(server: ServerAddress, primaryHolds: (gtid: string) => boolean): Promise<RebuildPlan> {
    this.holds = primaryHolds;
    this.calls.push(`${server.key} plan`);
    if (this.refuse) throw new Error('reclone refused: no MariaDB backup ends at a position the primary holds');
    return { ref: '20261129-220000-000F', position: '0-1-140' };
  }
  async rebuild(server: ServerAddress, plan: RebuildPlan): Promise<RebuildResult> {
    this.calls.push(`${server.key} rebuild from ${plan.ref}`);
    return { position: plan.position, source: `backup ${plan.ref}` };
  }
}

async function world(options: { autoRejoin?: boolean } = {}) {
  const config = replicatedConfig(1, { autoRejoin: options.autoRejoin ?? true });
  const clock = new FakeClock(new Date('2026-11-29T12:00:00Z'));
  const file = new InMemoryTopologyFile();
  const topology = new DatabaseTopology(config, file.asStore(), clock);
  await topology.ready();
  // After a failover: 2 was the primary, 1 was promoted, 2 is fenced.
  await topology.update((s) => ({ ...s, epoch: 1, fenced: [OLD] }));
  const probe = new FakeServerProbe().add(P).add(OLD, { readOnly: true });
  const rejoinProbe = new FakeRejoinProbe(probe)
    .set(P, { binlogPos: '0-1-150', binlogState: '0-1-150', slavePos: '0-2-100' })
    .set(OLD, { binlogPos: '0-2-100', binlogState: '0-2-100' });
  const reader = new FakeChangeReader();
  const rebuilder = new FakeRebuilder(rejoinProbe.calls);
  const leadership = new SwitchableLeadership();
  const events = new RecordingEventBus();
  const fenced = new Map<string, FencedServerView>([
    [OLD, { key: OLD, reachable: true, readOnly: true, lastFencedAt: null, lastError: null }],
  ]);
  const fencer = { view: (key: string) => fenced.get(key) } as unknown as Fencer;
  const runner = { inProgress: false } as unknown as FailoverRunner;
  const procedure = new RejoinProcedure(
    config,
    topology,
    probe,
    rejoinProbe,
    reader,
    rebuilder,
    leadership,
    events.asBus(),
  );
  const service = new RejoinService(config, topology, fencer, runner, procedure, events.asBus(), clock);
  /** One monitor tick's poke, and the attempt it started. */
  const tick = async () => {
    service.poke();
    await service.running;
  };
  return {
    service,
    topology,
    file,
    probe,
    rejoinProbe,
    reader,
    rebuilder,
    leadership,
    events,
    clock,
    fenced,
    runner,
    tick,
  };
}

describe('RejoinService', () => {
  it('rejoins a clean fenced server: current_pos, heartbeat half the detection time, in sync, then no longer fenced', async () => {
    const w = await world();
    await w.tick();
    expect(w.rejoinProbe.calls).toEqual([`${OLD} replicate from ${P} current_pos heartbeat 1.5`]);
    expect(w.topology.state.fenced).toEqual([]);
    expect(w.file.saved?.fenced).toEqual([]);
    expect(w.topology.servers().find((s) => s.key === OLD)?.role).toBe('standby');
    expect(w.events.emitted).toEqual([
      { name: 'db.rejoined', payload: { server: OLD, primary: P, epoch: 1, method: 'replication' } },
    ]);
    expect(w.service.view(OLD)).toBeNull();
  });

  it('makes the server read-only and kills the app sessions before reading its GTID state (no write slips in after the check)', async () => {
    const w = await world();
    const gtidState = w.rejoinProbe.gtidState.bind(w.rejoinProbe);
    w.rejoinProbe.gtidState = async (server) => {
      w.probe.calls.push(`${server.key} gtidState`);
      return gtidState(server);
    };
    await w.tick();
    const calls = w.probe.calls.filter((call) => call.startsWith(OLD));
    expect(calls.slice(0, 3)).toEqual([
      `${OLD} setReadOnly:true`,
      `${OLD} killConnectionsOf:logic_ha`,
      `${OLD} gtidState`,
    ]);
    expect(w.topology.state.fenced).toEqual([]);
  });

  it('keeps a server with an errant transaction fenced, names it and the rows, and reports it once per discovery', async () => {
    const w = await world();
    w.rejoinProbe.set(OLD, { binlogPos: '0-2-101', binlogState: '0-2-101' });
    await w.tick();
    expect(w.rejoinProbe.calls).toEqual([]);
    expect(w.topology.state.fenced).toEqual([OLD]);
    const errant = {
      errantGtids: '0-2-101',
      changes: [{ gtid: '0-2-101', table: 'logic_ha.logic_instance', operation: 'UPDATE', rows: 2 }],
    };
    expect(w.events.emitted).toEqual([
      { name: 'db.errant-transactions', payload: { server: OLD, primary: P, epoch: 1, ...errant } },
    ]);
    expect(w.service.view(OLD)).toMatchObject({ state: 'errant', errant: { ...errant, changesIncomplete: null } });
    expect(w.service.errantByServer()).toEqual(new Map([[OLD, true]]));
    // Not looked at again every tick; a minute later it is, but the same set is neither read
    // from its binlog again (mariadb-binlog) nor reported again.
    await w.tick();
    expect(w.reader.reads).toBe(1);
    w.clock.advance(60_000);
    await w.tick();
    expect(w.reader.reads).toBe(1);
    expect(w.service.view(OLD)).toMatchObject({ state: 'errant', errant: { ...errant, changesIncomplete: null } });
    expect(w.events.names()).toEqual(['db.errant-transactions']);
    // A further errant write is a new discovery, read again.
    w.rejoinProbe.set(OLD, { binlogPos: '0-2-102', binlogState: '0-2-102' });
    w.clock.advance(60_000);
    await w.tick();
    expect(w.reader.reads).toBe(2);
    expect(w.events.names()).toEqual(['db.errant-transactions', 'db.errant-transactions']);
    expect(w.service.view(OLD)?.errant?.errantGtids).toBe('0-2-101-102');
    expect(w.service.errantByServer()).toEqual(new Map([[OLD, true]]));
  });

  it('reads the binlog of an errant server again at the next check when the read failed', async () => {
    const w = await world();
    w.rejoinProbe.set(OLD, { binlogPos: '0-2-101', binlogState: '0-2-101' });
    const read = w.reader.read.bind(w.reader);
    let calls = 0;
    w.reader.read = async (server, ranges) => {
      if (++calls === 1) throw new Error('connect ETIMEDOUT');
      return read(server, ranges);
    };
    await w.tick();
    expect(w.service.view(OLD)?.errant?.changesIncomplete).toMatch(/could not read its binlog: connect ETIMEDOUT/);
    w.clock.advance(60_000);
    await w.tick();
    expect(w.service.view(OLD)?.errant).toMatchObject({ changesIncomplete: null, changes: [{ gtid: '0-2-101' }] });
    w.clock.advance(60_000);
    await w.tick();
    expect(calls).toBe(2);
  });

  it('leaves a server that does not catch up fenced, says why, and backs off before trying again', async () => {
    const w = await world();
    w.probe.failing.add('replicaStatus');
    await w.tick();
    expect(w.topology.state.fenced).toEqual([OLD]);
    expect(w.service.view(OLD)).toMatchObject({
      state: 'failed',
      failures: 1,
      lastError: expect.stringContaining('ECONNREFUSED'),
      nextAttemptAt: '2026-11-29T12:00:05.000Z',
    });
    expect(w.service.errantByServer()).toEqual(new Map([[OLD, false]]));
    await w.tick();
    expect(w.rejoinProbe.calls).toHaveLength(1);
    w.clock.advance(5_000);
    await w.tick();
    expect(w.service.view(OLD)).toMatchObject({ failures: 2, nextAttemptAt: '2026-11-29T12:00:15.000Z' });
    w.probe.failing.delete('replicaStatus');
    w.clock.advance(10_000);
    await w.tick();
    expect(w.topology.state.fenced).toEqual([]);
    expect(w.events.names()).toEqual(['db.rejoined']);
  });

  it('never follows the primary from an empty binlog (a reclone that stopped after RESET MASTER): reclone it', async () => {
    const w = await world();
    w.rejoinProbe.set(OLD, { binlogPos: '', binlogState: '', slavePos: '0-2-90' });
    await w.tick();
    expect(w.rejoinProbe.calls).toEqual([]);
    expect(w.topology.state.fenced).toEqual([OLD]);
    expect(w.service.view(OLD)).toMatchObject({
      state: 'failed',
      lastError: expect.stringMatching(/empty binary log.*reclone it/),
    });
  });

  it.each([
    ['FAILOVER_AUTO_REJOIN=false', (w: Awaited<ReturnType<typeof world>>) => w],
    [
      'the fencer has not seen it answer',
      (w: Awaited<ReturnType<typeof world>>) => w.fenced.set(OLD, { ...w.fenced.get(OLD)!, reachable: false }),
    ],
    ['a failover runs', (w: Awaited<ReturnType<typeof world>>) => Object.assign(w.runner, { inProgress: true })],
    [
      'maintenance is on',
      (w: Awaited<ReturnType<typeof world>>) =>
        w.topology.update((s) => ({ ...s, control: { ...s.control, maintenance: true } })),
    ],
  ])('does nothing automatically when %s', async (name, arrange) => {
    const w = await world({ autoRejoin: name !== 'FAILOVER_AUTO_REJOIN=false' });
    await arrange(w);
    await w.tick();
    expect(w.rejoinProbe.calls).toEqual([]);
    expect(w.topology.state.fenced).toEqual([OLD]);
  });

  it('does not store the change when this node lost the lead meanwhile (the fenced compare-and-set would refuse it too)', async () => {
    const w = await world();
    w.leadership.leading = false;
    await w.tick();
    expect(w.topology.state.fenced).toEqual([OLD]);
    expect(w.service.view(OLD)?.lastError).toMatch(/lead/);
  });

  it('does not store the change when the primary moved during the rejoin', async () => {
    const w = await world();
    const replicate = w.rejoinProbe.replicate.bind(w.rejoinProbe);
    w.rejoinProbe.replicate = async (server, setup) => {
      await replicate(server, setup);
      await w.topology.update((s) => ({ ...s, epoch: 2, primary: '127.0.0.1:3' }));
    };
    await w.tick().catch(() => undefined);
    expect(w.topology.state.fenced).toEqual([OLD]);
    expect(w.service.view(OLD)?.lastError).toMatch(/primary changed/);
  });

  describe('on request', () => {
    it('refuses a server that is not configured (404) or not fenced (409), naming it', async () => {
      const w = await world();
      await expect(w.service.rejoinNow('127.0.0.1:9')).rejects.toMatchObject({
        code: 'FAILOVER_UNKNOWN_SERVER',
        details: { field: 'server', server: '127.0.0.1:9' },
      });
      expect(() => w.service.startReclone(P)).toThrow(expect.objectContaining({ code: 'REJOIN_NOT_FENCED' }));
    });

    it('answers 503 REJOIN_UNAVAILABLE when the server does not answer (try again), 409 REJOIN_FAILED when it answered wrong', async () => {
      const w = await world();
      w.probe.server(OLD).up = false;
      await expect(w.service.rejoinNow(OLD)).rejects.toMatchObject({
        code: 'REJOIN_UNAVAILABLE',
        kind: ErrorKind.Unavailable,
        details: { server: OLD },
        retryAfterSeconds: 5,
      });
      w.probe.server(OLD).up = true;
      w.rejoinProbe.set(OLD, { binlogPos: '', binlogState: '', slavePos: '0-2-90' });
      await expect(w.service.rejoinNow(OLD)).rejects.toMatchObject({
        code: 'REJOIN_FAILED',
        kind: ErrorKind.Conflict,
      });
      expect(w.topology.state.fenced).toEqual([OLD]);
    });

    it('answers an errant server with 409 naming the GTIDs', async () => {
      const w = await world();
      w.rejoinProbe.set(OLD, { binlogPos: '0-2-103', binlogState: '0-2-103' });
      await expect(w.service.rejoinNow(OLD)).rejects.toMatchObject({
        code: 'REJOIN_ERRANT_TRANSACTIONS',
        details: { server: OLD, errantGtids: '0-2-101-103' },
      });
    });

    it('reclones: rebuilt from the primary history, slave_pos at the copy end, in sync, then a standby', async () => {
      const w = await world();
      w.rejoinProbe.set(OLD, { binlogPos: '0-2-103', binlogState: '0-2-103' });
      const job = w.service.startReclone(OLD);
      expect(job).toMatchObject({ server: OLD, state: 'running' });
      expect(() => w.service.startReclone(OLD)).toThrow(expect.objectContaining({ code: 'REJOIN_REFUSED' }));
      await w.service.running;
      expect(w.service.job(job.id)).toMatchObject({
        state: 'succeeded',
        outcome: { kind: 'rejoined', method: 'reclone' },
      });
      // The primary's history: its binlog state and slave position.
      expect(['0-1-150', '0-2-100'].map(w.rebuilder.holds!)).toEqual([true, true]);
      expect(['0-1-151', '0-2-101'].map(w.rebuilder.holds!)).toEqual([false, false]);
      // Reset only once a copy was chosen, then rebuilt, then replicating from the copy's end.
      expect(w.rejoinProbe.calls).toEqual([
        `${OLD} plan`,
        `${OLD} reset`,
        `${OLD} rebuild from 20261129-220000-000F`,
        `${OLD} replicate from ${P} slave_pos 0-1-140 heartbeat 1.5`,
      ]);
      expect(w.topology.state.fenced).toEqual([]);
      expect(w.events.emitted.at(-1)).toMatchObject({ name: 'db.rejoined', payload: { method: 'reclone' } });
    });

    it('refuses a reclone with no usable copy before touching the server: no reset, it stays fenced', async () => {
      const w = await world();
      w.rebuilder.refuse = true;
      const job = w.service.startReclone(OLD);
      await w.service.running;
      expect(w.service.job(job.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/reclone refused/) });
      expect(w.rejoinProbe.calls).toEqual([`${OLD} plan`]);
      expect(w.topology.state.fenced).toEqual([OLD]);
    });
  });
});
