import { FakeClock } from '../../test/support/fake-clock';
import { InMemoryTopologyFile, RecordingEventBus, replicatedConfig } from '../../test/support/failover-fakes';
import { DatabaseTopology } from '../database/topology/database-topology';
import type { FailoverRecord, TopologyState } from '../database/topology/topology-state';
import type { AppPool } from './app-pool';
import type { FailoverMonitor } from './failover-monitor.service';
import { TopologyFollower } from './topology-follower';

const P = '127.0.0.1:1';
const S = '127.0.0.1:2';

const record = (fields: Partial<FailoverRecord> & Pick<FailoverRecord, 'id' | 'kind' | 'epoch' | 'outcome'>) => ({
  reason: 'test',
  startedAt: '2026-11-29T12:00:00.000Z',
  finishedAt: '2026-11-29T12:00:01.000Z',
  oldPrimary: P,
  newPrimary: S,
  steps: [],
  error: null,
  ...fields,
});

/** A follower on a topology another node (the leader) changes. */
async function world() {
  const config = replicatedConfig(1);
  const file = new InMemoryTopologyFile();
  const topology = new DatabaseTopology(config, file.asStore(), new FakeClock(new Date('2026-11-29T12:00:00Z')));
  await topology.ready();
  const events = new RecordingEventBus();
  const pool = { close: async () => undefined, reopenOnPrimary: async () => undefined } as unknown as AppPool;
  const monitor = { forgetPrimary: () => undefined } as unknown as FailoverMonitor;
  new TopologyFollower(topology, pool, monitor, events.asBus()).onApplicationBootstrap();
  const changed = () => events.emitted.filter((e) => e.name === 'db.primary-changed').map((e) => e.payload);
  /** A state the leader stored, as this node's store delivers it. */
  const arrive = async (change: (state: TopologyState) => TopologyState) => {
    file.saved = { ...change(topology.state), updatedAt: '2026-11-29T12:00:05.000Z' };
    await topology.refresh();
  };
  return { arrive, changed };
}

describe('TopologyFollower', () => {
  it('names the change that moved the primary, not a newer vetoed record', async () => {
    const w = await world();
    await w.arrive((s) => ({
      ...s,
      epoch: 1,
      primary: S,
      fenced: [P],
      history: [
        record({ id: 'veto-2', kind: 'failover', epoch: 0, outcome: 'vetoed', newPrimary: null }),
        record({ id: 'failover-1', kind: 'failover', epoch: 1, outcome: 'succeeded' }),
      ],
    }));
    expect(w.changed()).toEqual([expect.objectContaining({ id: 'failover-1', kind: 'failover', epoch: 1 })]);
  });

  it('does not name an older change when the record of this one is not written yet', async () => {
    const w = await world();
    // The switchover's record comes in a later write than the primary's move; only an old veto is there.
    await w.arrive((s) => ({
      ...s,
      epoch: 1,
      primary: S,
      history: [record({ id: 'veto-1', kind: 'failover', epoch: 0, outcome: 'vetoed', newPrimary: null })],
    }));
    expect(w.changed()).toEqual([expect.objectContaining({ id: 'epoch-1', kind: 'switchover', epoch: 1 })]);
  });

  it('names a failover by its intent when its record is not written yet', async () => {
    const w = await world();
    await w.arrive((s) => ({
      ...s,
      epoch: 1,
      primary: S,
      fenced: [P],
      pending: {
        id: 'failover-7',
        candidate: S,
        oldPrimary: P,
        startedAt: '2026-11-29T12:00:00.000Z',
        by: null,
        step: 'enable-writes',
        stepAt: '2026-11-29T12:00:01.000Z',
      },
      history: [record({ id: 'failover-0', kind: 'switchover', epoch: 0, outcome: 'succeeded' })],
    }));
    expect(w.changed()).toEqual([expect.objectContaining({ id: 'failover-7', kind: 'failover', epoch: 1 })]);
  });
});
