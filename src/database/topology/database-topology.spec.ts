import { Logger } from '@nestjs/common';
import { FakeClock } from '../../../test/support/fake-clock';
import { InMemoryTopologyFile, replicatedConfig } from '../../../test/support/failover-fakes';
import { DatabaseTopology } from './database-topology';
import { type TopologyState, initialTopologyState, parseTopologyState } from './topology-state';
import { TopologyStore } from './topology-store';

const clock = new FakeClock(new Date('2026-11-27T12:00:00Z'));

describe('DatabaseTopology', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('starts on DB_PRIMARY_URL at epoch 0 when there is no state file, the others standbys', async () => {
    const topology = new DatabaseTopology(replicatedConfig(2), new InMemoryTopologyFile().asStore(), clock);
    await topology.ready();
    expect(topology.epoch).toBe(0);
    expect(topology.primaryKey).toBe('127.0.0.1:1');
    expect(topology.servers().map((s) => [s.key, s.role])).toEqual([
      ['127.0.0.1:1', 'primary'],
      ['127.0.0.1:2', 'standby'],
      ['127.0.0.1:3', 'standby'],
    ]);
  });

  it('follows the state file over DB_PRIMARY_URL: after a failover the app connects to the promoted server', async () => {
    const file = new InMemoryTopologyFile();
    file.saved = { ...initialTopologyState('127.0.0.1:2', clock.now()), epoch: 4, fenced: ['127.0.0.1:1'] };
    const topology = new DatabaseTopology(replicatedConfig(2), file.asStore(), clock);
    await topology.ready();
    expect(topology.primaryEndpoint()).toMatchObject({ port: 2, user: 'logic_ha', database: 'logic_ha' });
    expect(topology.standbys().map((s) => s.key)).toEqual(['127.0.0.1:3']);
    expect(topology.servers().find((s) => s.key === '127.0.0.1:1')?.role).toBe('fenced');
  });

  it('refuses to start when the state file names a primary that is no longer configured', async () => {
    const file = new InMemoryTopologyFile();
    file.saved = { ...initialTopologyState('10.0.0.9:3306', clock.now()), epoch: 2 };
    await expect(new DatabaseTopology(replicatedConfig(1), file.asStore(), clock).ready()).rejects.toThrow(
      /names 10\.0\.0\.9:3306 as the primary \(epoch 2\).*move that state away/,
    );
  });

  it('makes a change visible only once it is written', async () => {
    const file = new InMemoryTopologyFile();
    const topology = new DatabaseTopology(replicatedConfig(1), file.asStore(), clock);
    await topology.ready();
    file.failWrites = true;
    await expect(topology.update((s) => ({ ...s, epoch: s.epoch + 1, primary: '127.0.0.1:2' }))).rejects.toThrow(
      /ENOSPC/,
    );
    expect(topology.epoch).toBe(0);
    expect(topology.primaryKey).toBe('127.0.0.1:1');
    file.failWrites = false;
    await topology.update((s) => ({ ...s, epoch: s.epoch + 1, primary: '127.0.0.1:2' }));
    expect(file.saved).toMatchObject({ epoch: 1, primary: '127.0.0.1:2' });
    expect(topology.primaryKey).toBe('127.0.0.1:2');
  });

  describe('following another node (cluster mode)', () => {
    class PushedStore extends TopologyStore {
      readonly description = 'etcd (test)';
      saved: TopologyState | null = null;
      private listener?: (state: TopologyState) => void;
      async load() {
        return this.saved;
      }
      async save(next: TopologyState) {
        this.saved = next;
        this.listener?.(next); // the watch echoes this node's own write too
      }
      watch(listener: (state: TopologyState) => void) {
        this.listener = listener;
      }
      push(state: TopologyState) {
        this.saved = state;
        this.listener?.(state);
      }
    }

    async function followed() {
      const store = new PushedStore();
      const topology = new DatabaseTopology(replicatedConfig(2), store, clock);
      await topology.ready();
      const heard: [number, number][] = [];
      topology.onChange((next, previous) => heard.push([previous.epoch, next.epoch]));
      return { store, topology, heard };
    }

    it('takes a newer state another node stored and tells its listeners', async () => {
      const { store, topology, heard } = await followed();
      store.push({ ...initialTopologyState('127.0.0.1:2', clock.now()), epoch: 1, fenced: ['127.0.0.1:1'] });
      expect(topology.primaryKey).toBe('127.0.0.1:2');
      expect(heard).toEqual([[0, 1]]);
    });

    it('ignores its own write echoed by the watch, an older epoch and an unknown primary', async () => {
      const { store, topology, heard } = await followed();
      await topology.update((s) => ({ ...s, epoch: 3, primary: '127.0.0.1:3' }));
      store.push({ ...initialTopologyState('127.0.0.1:2', clock.now()), epoch: 2 });
      store.push({ ...initialTopologyState('10.9.9.9:1', clock.now()), epoch: 9 });
      expect(topology.primaryKey).toBe('127.0.0.1:3');
      expect(heard).toEqual([]);
    });

    it('re-reads the store on refresh()', async () => {
      const { store, topology, heard } = await followed();
      store.saved = { ...initialTopologyState('127.0.0.1:3', clock.now()), epoch: 5 };
      await topology.refresh();
      expect(topology.epoch).toBe(5);
      expect(heard).toEqual([[0, 5]]);
    });
  });

  it('has no topology on SQLite', () => {
    const topology = new DatabaseTopology(
      { database: { type: 'sqlite', sqlitePath: 'x' } } as never,
      new InMemoryTopologyFile().asStore(),
      clock,
    );
    expect(topology.replicated).toBe(false);
    expect(() => topology.epoch).toThrow(/not mysql/);
  });

  it.each([
    ['not json', /not valid JSON/],
    ['{"format":"other"}', /has format "other"/],
    [JSON.stringify({ ...initialTopologyState('h:1', new Date()), epoch: -1 }), /epoch must be a non-negative integer/],
    [JSON.stringify({ ...initialTopologyState('h:1', new Date()), primary: 'nohost' }), /primary must be "host:port"/],
  ])('names what is wrong with a damaged state file (%s)', (text, expected) => {
    expect(() => parseTopologyState(text, 'topology.json')).toThrow(expected);
  });
});
