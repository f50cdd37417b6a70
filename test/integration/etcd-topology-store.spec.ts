import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { Etcd3, WatchBuilder } from 'etcd3';
import { ClusterErrorCode } from '../../src/cluster/cluster.errors';
import { EtcdCluster } from '../../src/cluster/etcd/etcd-cluster';
import { EtcdTopologyStore } from '../../src/cluster/etcd/etcd-topology.store';
import type { DomainError } from '../../src/common/errors/domain-error';
import type { AppConfig, ClusterConfig } from '../../src/config/app-config';
import { TopologyFile } from '../../src/database/topology/topology-file';
import { type TopologyState, initialTopologyState } from '../../src/database/topology/topology-state';
import { EtcdCluster as PrivateEtcd, etcdBehindProxies } from '../support/etcd';
import { RecordingEventBus } from '../support/failover-fakes';

/** Short, so a lapsed lease and a takeover fit in a test; the shortest CLUSTER_LEASE_TTL_MS allows. */
const TTL_MS = 2_000;

/** One logic-ha node's cluster parts (the real src classes) on its own etcd client and DATA_DIR. */
interface TestNode {
  id: string;
  cluster: EtcdCluster;
  mirror: TopologyFile;
  events: RecordingEventBus;
  dataDir: string;
}

function state(epoch: number, primary = 'db1:3306'): TopologyState {
  return { ...initialTopologyState(primary, new Date()), epoch };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as DomainError,
  );
}

describe('EtcdTopologyStore, leadership and the fence on a real etcd', () => {
  let etcd: PrivateEtcd;
  let direct: Etcd3;
  let nodes: TestNode[] = [];
  /** Each test works under its own prefix: a fresh, empty cluster on the same etcd. */
  let prefix: string;

  function node(id: string, endpoints = etcd.endpoints): TestNode {
    const dataDir = mkdtempSync(join(tmpdir(), `logic-ha-${id}-`));
    const mirror = new TopologyFile({ dataDir } as AppConfig);
    const events = new RecordingEventBus();
    const config: ClusterConfig = {
      endpoints,
      leaseTtlMs: TTL_MS,
      nodeId: id,
      nodeAddress: `http://127.0.0.1:9/${id}`,
      prefix,
      failsafe: false,
    };
    const created = { id, cluster: new EtcdCluster(config, events.asBus(), mirror), mirror, events, dataDir };
    nodes.push(created);
    return created;
  }

  async function started(id: string, endpoints = etcd.endpoints): Promise<TestNode> {
    const created = node(id, endpoints);
    await created.cluster.keeper.start();
    await created.cluster.leadership.start();
    return created;
  }

  /** Two started nodes, once exactly one of them leads and both know which (node-a leads when `bRoad` is given). */
  async function pair(bRoad?: string[]): Promise<{ leader: TestNode; follower: TestNode }> {
    const a = await started('node-a');
    if (bRoad) await until('node-a to lead', () => (a.cluster.leadership.isLeader() ? true : undefined));
    const b = await started('node-b', bRoad);
    const leader = await until('one leader both nodes agree on', () => {
      const leading = [a, b].filter((n) => n.cluster.leadership.isLeader());
      const agreed = [a, b].every((n) => n.cluster.leadership.leader()?.nodeId === leading[0]?.id);
      return leading.length === 1 && agreed ? leading[0] : undefined;
    });
    return { leader, follower: leader === a ? b : a };
  }

  async function stored(): Promise<{ state: TopologyState | null; version: string | null }> {
    const kv = (await direct.get(`${prefix}/topology`).exec()).kvs[0];
    return kv
      ? { state: JSON.parse(kv.value.toString()) as TopologyState, version: String(kv.version) }
      : { state: null, version: null };
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    etcd = await PrivateEtcd.start({ members: 1 });
    direct = etcd.client();
  });

  beforeEach(() => {
    prefix = `/logic-ha-test-${randomUUID()}`;
  });

  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.cluster.stop().catch(() => undefined)));
    for (const n of nodes) rmSync(n.dataDir, { recursive: true, force: true });
    nodes = [];
  });

  afterAll(async () => {
    await etcd?.destroy();
  });

  it('elects exactly one of two nodes; the leader saves, the follower is fenced with CLUSTER_NOT_LEADER', async () => {
    const { leader, follower } = await pair();
    // Exactly one, not just once: sampled for a few renewals.
    for (let i = 0; i < 20; i++) {
      expect(nodes.filter((n) => n.cluster.leadership.isLeader()).map((n) => n.id)).toEqual([leader.id]);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const n of nodes)
      expect(n.events.emitted).toContainEqual({
        name: 'cluster.leader-changed',
        payload: expect.objectContaining({ leader: leader.id, node: n.id }),
      });

    expect(await leader.cluster.store.load()).toBeNull();
    await leader.cluster.store.save(state(0));
    await leader.cluster.store.save(state(1));
    expect((await stored()).state).toMatchObject({ epoch: 1 });
    expect(leader.mirror.read()).toMatchObject({ epoch: 1 });

    expect(await follower.cluster.store.load()).toMatchObject({ epoch: 1 });
    const refused = await failure(follower.cluster.store.save(state(2, 'db2:3306')));
    expect(refused.code).toBe(ClusterErrorCode.NotLeader);
    expect(refused.message).toMatch(
      new RegExp(`this node \\(${follower.id}\\) does not lead.*the leader is ${leader.id}`),
    );
    expect((await stored()).state).toMatchObject({ epoch: 1, primary: 'db1:3306' });
  });

  it('refuses a save from a stale view of the topology with CLUSTER_TOPOLOGY_CONFLICT, and writes nothing', async () => {
    const { leader } = await pair();
    await leader.cluster.store.load();
    await leader.cluster.store.save(state(0));
    // A second reader on the same node (the same lease and leader key), which has not seen the next save.
    const staleMirror = new TopologyFile({ dataDir: mkdtempSync(join(tmpdir(), 'logic-ha-stale-')) } as AppConfig);
    try {
      const stale = new EtcdTopologyStore(
        leader.cluster.client,
        leader.cluster.keys,
        leader.cluster.leadership,
        staleMirror,
      );
      expect(await stale.load()).toMatchObject({ epoch: 0 });
      await leader.cluster.store.save(state(1));
      const before = await stored();

      const refused = await failure(stale.save(state(1, 'db2:3306')));
      expect(refused.code).toBe(ClusterErrorCode.TopologyConflict);
      expect(refused.message).toMatch(/changed since this node read it.*nothing was written/);
      expect(await stored()).toEqual(before);
      expect(staleMirror.read()).toMatchObject({ epoch: 0 });

      // Read again, it may write.
      expect(await stale.load()).toMatchObject({ epoch: 1 });
      await stale.save(state(2, 'db2:3306'));
      expect((await stored()).state).toMatchObject({ epoch: 2, primary: 'db2:3306' });
    } finally {
      rmSync(join(staleMirror.path, '..'), { recursive: true, force: true });
    }
  });

  it('fences a leader whose lease lapsed, even with its own key; the other node takes over and saves', async () => {
    const { leader: deposed, follower: next } = await pair();
    await deposed.cluster.store.load();
    await deposed.cluster.store.save(state(0));
    const oldFence = deposed.cluster.leadership.fence('remember the fence');

    // Never two leaders, sampled all through the takeover.
    let both = 0;
    const sampler = setInterval(() => {
      if (deposed.cluster.leadership.isLeader() && next.cluster.leadership.isLeader()) both++;
    }, 5);
    try {
      // As if the process were stopped: no more renewals, and no revoke either.
      const renew = jest.spyOn(deposed.cluster.keeper, 'renew').mockResolvedValue(undefined);
      await until(
        'the deposed leader’s own deadline',
        () => (deposed.cluster.keeper.valid() ? undefined : true),
        5_000,
      );
      expect(deposed.cluster.leadership.isLeader()).toBe(false);
      const local = await failure(deposed.cluster.store.save(state(1, 'db2:3306')));
      expect(local.code).toBe(ClusterErrorCode.NotLeader);

      // etcd expires the lease, deletes the key; the other node campaigns and leads.
      await until('the other node leads', () => (next.cluster.leadership.isLeader() ? true : undefined), 10_000);
      expect(next.cluster.leadership.leader()?.nodeId).toBe(next.id);
      await next.cluster.store.load();
      await next.cluster.store.save(state(1, 'db2:3306'));
      expect((await stored()).state).toMatchObject({ epoch: 1, primary: 'db2:3306' });

      // A node that still believes it leads (its old fence), with a fresh view of the topology:
      // etcd refuses, since the leader key it created is gone.
      expect(await deposed.cluster.store.load()).toMatchObject({ epoch: 1 });
      const fence = jest.spyOn(deposed.cluster.leadership, 'fence').mockReturnValue(oldFence);
      const refused = await failure(deposed.cluster.store.save(state(2, 'db1:3306')));
      expect(refused.code).toBe(ClusterErrorCode.TopologyConflict);
      expect((await stored()).state).toMatchObject({ epoch: 1, primary: 'db2:3306' });
      fence.mockRestore();

      // Back: its lease expired, so it takes a new one and follows.
      renew.mockRestore();
      await deposed.cluster.keeper.renew();
      await until(
        'the deposed node to follow the new leader',
        () =>
          deposed.cluster.keeper.valid() && deposed.cluster.leadership.leader()?.nodeId === next.id ? true : undefined,
        10_000,
      );
      expect(deposed.cluster.leadership.isLeader()).toBe(false);
    } finally {
      clearInterval(sampler);
    }
    expect(both).toBe(0);
  });

  it('seeds an empty etcd from a node’s topology.json exactly once, however many nodes start at once', async () => {
    const a = node('node-a');
    const b = node('node-b');
    const fromA = state(7, 'db-a:3306');
    const fromB = state(9, 'db-b:3306');
    await a.mirror.write(fromA);
    await b.mirror.write(fromB);

    const [loadedA, loadedB] = await Promise.all([a.cluster.store.load(), b.cluster.store.load()]);
    expect(loadedA).toEqual(loadedB);
    const seeded = await stored();
    expect(seeded.version).toBe('1');
    expect([fromA, fromB]).toContainEqual(seeded.state);
    expect(loadedA).toEqual(seeded.state);
    // The other node's file follows etcd.
    for (const n of [a, b])
      await until('the mirror to follow etcd', () =>
        n.mirror.read()?.epoch === seeded.state?.epoch ? true : undefined,
      );

    await a.cluster.store.load();
    await b.cluster.store.load();
    expect((await stored()).version).toBe('1');
  });

  it('starts from topology.json when seeding an empty etcd fails, and reports the failure on a later re-read', async () => {
    const a = node('node-a');
    await a.mirror.write(state(4, 'db2:3306'));
    // The read answers, the seeding transaction does not (a lost quorum, a deadline).
    const seed = jest.spyOn(a.cluster.client, 'if').mockImplementation(() => {
      throw new Error('deadline exceeded');
    });
    expect(await a.cluster.store.load()).toMatchObject({ epoch: 4, primary: 'db2:3306' });
    const refused = await failure(a.cluster.store.load());
    expect(refused.code).toBe(ClusterErrorCode.EtcdUnavailable);
    expect(refused.message).toMatch(/could not seed the topology in etcd: deadline exceeded/);
    expect(await stored()).toEqual({ state: null, version: null });

    // etcd answers again: the next re-read seeds it.
    seed.mockRestore();
    expect(await a.cluster.store.load()).toMatchObject({ epoch: 4 });
    expect((await stored()).state).toMatchObject({ epoch: 4, primary: 'db2:3306' });
  });

  it('loads nothing and writes nothing from an empty etcd and no topology.json', async () => {
    const a = node('node-a');
    expect(await a.cluster.store.load()).toBeNull();
    expect(await stored()).toEqual({ state: null, version: null });
  });

  it('delivers a save by one node to the other’s watch, including a save made between its load and its watch', async () => {
    const { leader, follower } = await pair();
    await leader.cluster.store.load();
    await leader.cluster.store.save(state(0));
    expect(await follower.cluster.store.load()).toMatchObject({ epoch: 0 });
    // The database layer loads, then watches: a change in between must not be lost.
    await leader.cluster.store.save(state(1, 'db2:3306'));
    const heard: TopologyState[] = [];
    follower.cluster.store.watch((next) => heard.push(next));
    await until('the watch to deliver epoch 1', () => (heard.some((s) => s.epoch === 1) ? true : undefined));

    await leader.cluster.store.save(state(2, 'db1:3306'));
    await until('the watch to deliver epoch 2', () => (heard.some((s) => s.epoch === 2) ? true : undefined));
    expect(heard.map((s) => s.epoch)).toEqual([1, 2]);
    await until('the follower’s mirror', () => (follower.mirror.read()?.epoch === 2 ? true : undefined));
  });

  it('delivers a change a silent watch missed through the catch-up that follows a lease renewal', async () => {
    const { leader, follower } = await pair();
    await leader.cluster.store.load();
    await leader.cluster.store.save(state(0));
    expect(await follower.cluster.store.load()).toMatchObject({ epoch: 0 });
    // A watch stream on a member cut off from quorum: connected, and silent.
    const silent = Object.assign(new EventEmitter(), { cancel: async () => undefined });
    const builder = { key: () => builder, startRevision: () => builder, watcher: () => silent };
    jest.spyOn(follower.cluster.client, 'watch').mockReturnValue(builder as unknown as WatchBuilder);
    const heard: TopologyState[] = [];
    follower.cluster.store.watch((next) => heard.push(next));

    await leader.cluster.store.save(state(1, 'db2:3306'));
    // Renewals come every TTL/4.
    await until('the catch-up to deliver epoch 1', () => (heard.length > 0 ? true : undefined), TTL_MS * 2);
    expect(heard.map((s) => s.epoch)).toEqual([1]);
    await until('the follower’s mirror', () => (follower.mirror.read()?.epoch === 1 ? true : undefined));
    // Once, not at every renewal.
    await new Promise((resolve) => setTimeout(resolve, TTL_MS));
    expect(heard.map((s) => s.epoch)).toEqual([1]);
  });

  it('re-reads and watches again when etcd cancels a watch resumed at a compacted revision', async () => {
    const road = await etcdBehindProxies(etcd);
    try {
      const { leader, follower } = await pair(road.endpoints);
      expect(follower.id).toBe('node-b');
      await leader.cluster.store.load();
      await leader.cluster.store.save(state(0));
      expect(await follower.cluster.store.load()).toMatchObject({ epoch: 0 });
      // Only the watch may deliver here: the catch-up is tested above.
      jest.spyOn(follower.cluster.store, 'catchUp').mockResolvedValue(undefined);
      const heard: TopologyState[] = [];
      follower.cluster.store.watch((next) => heard.push(next));
      await leader.cluster.store.save(state(1, 'db2:3306'));
      await until('the watch to deliver epoch 1', () => (heard.some((s) => s.epoch === 1) ? true : undefined));

      // While the follower is cut off, the topology moves on and etcd compacts its history.
      road.cut();
      await leader.cluster.store.save(state(2, 'db1:3306'));
      await direct.put(`${prefix}/unrelated`).value('x');
      const revision = (await direct.get(`${prefix}/unrelated`).exec()).header.revision;
      await direct.kv.compact({ revision, physical: true });
      road.heal();

      // The client resumes the watch after epoch 1's revision: compacted, so etcd cancels it.
      await until('the re-read to deliver epoch 2', () => (heard.some((s) => s.epoch === 2) ? true : undefined));
      await leader.cluster.store.save(state(3, 'db2:3306'));
      await until('the new watch to deliver epoch 3', () => (heard.some((s) => s.epoch === 3) ? true : undefined));
      expect(heard.map((s) => s.epoch)).toEqual([1, 2, 3]);
    } finally {
      await Promise.all(nodes.map((n) => n.cluster.stop().catch(() => undefined)));
      await road.stop();
    }
  });

  // Last: it stops the etcd member.
  it('falls back to topology.json when etcd is down at start, and never afterwards', async () => {
    const running = node('node-a');
    await running.mirror.write(state(3, 'db2:3306'));
    expect(await running.cluster.store.load()).toMatchObject({ epoch: 3 });
    const starting = node('node-b');
    await starting.mirror.write(state(3, 'db2:3306'));

    await etcd.member(0).stop();
    try {
      // A node starting now connects where the topology last was (its write gate stays closed).
      expect(await starting.cluster.store.load()).toMatchObject({ epoch: 3, primary: 'db2:3306' });
      // A node that already runs re-reads to learn what changed during a gap (the write gate, a
      // new leader): its own file is no answer to that.
      await expect(running.cluster.store.load()).rejects.toThrow();
    } finally {
      await etcd.startAll();
    }
  });
});
