import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_TOKEN, type ClusterNode, ClusterWorld, eventually } from '../support/cluster-world';
import { serverKey } from '../support/failover-app';
import type { MariaDbServer } from '../support/mariadb';
import { openEventStream } from '../support/sse-client';

jest.setTimeout(240_000);

const TTL_MS = 3000;

/** Every live node serves a write (an instance start) with 200. */
async function writesThroughEveryNode(world: ClusterWorld, tag: string): Promise<void> {
  for (const node of world.live) {
    const answer = await eventually(
      async () => {
        const written = await node.write('cluster', `${tag}-${node.id}`);
        return written.status === 200 ? written : undefined;
      },
      20_000,
      `a write through ${node.id}`,
    );
    expect(answer.status).toBe(200);
  }
}

/** The newest row of logic_ha_epoch on a server, as root reads it. */
async function newestEpochRecord(server: MariaDbServer) {
  const rows = await eventually(
    async () => {
      const found = await server.query<{ epoch: number; managedBy: string; writer: string }[]>(
        'SELECT epoch, managedBy, writer FROM logic_ha.logic_ha_epoch ORDER BY epoch DESC LIMIT 1',
      );
      return found.length > 0 ? found : undefined;
    },
    10_000,
    'an epoch record',
  );
  return rows[0];
}

/** Waits until every live node reports `epoch` with `primary` and its pool open. */
async function everyNodeOn(world: ClusterWorld, epoch: number, primary: string, timeoutMs = 30_000) {
  return eventually(
    async () => {
      const views = await Promise.all(world.live.map((node) => node.failoverStatus().then((a) => a.body)));
      return views.every((v) => v?.epoch === epoch && v?.primary === primary && v?.switching === false)
        ? views
        : undefined;
    },
    timeoutMs,
    `every node at epoch ${epoch} on ${primary}`,
  );
}

describe('cluster mode: three nodes, a 3-member etcd, a MariaDB primary + standby', () => {
  let world: ClusterWorld;
  let a: ClusterNode;
  let b: ClusterNode;
  let c: ClusterNode;
  /** Undoes a partition even when the test that made it fails, so the next tests start whole. */
  let afterHeal: (() => void) | null = null;

  beforeAll(async () => {
    world = await ClusterWorld.start({ serverIdBase: 400, leaseTtlMs: TTL_MS, proxied: [2] });
    [a, b, c] = world.nodes;
  });
  afterAll(async () => {
    if (world) await world.stop();
  });
  afterEach(() => {
    afterHeal?.();
    afterHeal = null;
  });

  it('has exactly one leader, and every node lists the three nodes, the leader and its lease', async () => {
    const leader = await world.agreedLeader();
    expect(leader.id).toBe(a.id);
    const view = (await b.cluster()).body;
    expect(view).toMatchObject({
      mode: 'etcd',
      node: { nodeId: b.id, leading: false, writes: { allowed: true } },
      leader: { nodeId: a.id, address: a.url },
      leaseTtlMs: TTL_MS,
      epoch: 0,
    });
    expect(view.nodes.map((n: { nodeId: string }) => n.nodeId)).toEqual([a.id, b.id, c.id]);
    expect(view.nodes[0]).toMatchObject({ leader: true, version: expect.any(String), lastSeenAt: expect.any(String) });
    expect(view.leaderLeaseRemainingMs).toBeGreaterThan(0);
    expect(view.leaderLeaseRemainingMs).toBeLessThanOrEqual(TTL_MS);
    await writesThroughEveryNode(world, 'start');
    // The leader marked the primary as managed by the cluster: a single node started beside it would refuse.
    expect(await newestEpochRecord(world.db.primary)).toMatchObject({ epoch: 0, managedBy: 'cluster', writer: a.id });
  });

  it('cluster status and failover status (CLI) read the leader, the nodes and the topology from etcd', async () => {
    const cluster = await b.cli(['cluster', 'status']);
    expect(cluster.code).toBe(0);
    expect(cluster.out).toMatchObject({
      mode: 'etcd',
      leader: { nodeId: a.id },
      epoch: 0,
      topology: 'etcd key /logic-ha/topology',
    });
    expect(cluster.out.nodes.map((n: { nodeId: string }) => n.nodeId)).toEqual([a.id, b.id, c.id]);
    const failover = await c.cli(['failover', 'status']);
    expect(failover.code).toBe(0);
    expect(failover.out).toMatchObject({
      epoch: 0,
      primary: serverKey(world.db.primary.port),
      store: 'etcd key /logic-ha/topology',
    });
  });

  it('forwards a leader action asked of a follower to the leader', async () => {
    const answer = await c.api('PUT', '/api/v1/failover/maintenance', { enabled: true, reason: 'cluster test' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ maintenance: true, maintenanceReason: 'cluster test' });
    await eventually(
      async () => ((await a.failoverStatus()).body?.maintenance?.enabled === true ? true : undefined),
      5000,
      'the leader in maintenance',
    );
    expect((await b.api('PUT', '/api/v1/failover/maintenance', { enabled: false })).status).toBe(200);
    await eventually(
      async () => ((await c.failoverStatus()).body?.maintenance?.enabled === false ? true : undefined),
      5000,
      'maintenance off seen by every node',
    );
  });

  it('carries on unchanged when one etcd member is killed', async () => {
    await world.etcd.member(1).kill();
    await new Promise((resolve) => setTimeout(resolve, TTL_MS + 500));
    expect((await world.agreedLeader()).id).toBe(a.id);
    await writesThroughEveryNode(world, 'one-etcd-member-down');
    await world.etcd.member(1).start();
  });

  it('stops writing on a node cut off from etcd while the others carry on, and resumes when it is back', async () => {
    const events = await openEventStream(`${c.url}/api/v1/events`, CLUSTER_TOKEN);
    c.proxies!.cut();
    afterHeal = () => {
      events.close();
      c.proxies!.heal();
    };
    // A write caught in flight when the gate drops the pool fails as DATABASE_UNAVAILABLE; the next ones are refused.
    const suspended = await eventually(
      async () => {
        const answer = await c.write('cluster', 'partitioned');
        return answer.status === 503 && answer.body?.code === 'CLUSTER_WRITES_SUSPENDED' ? answer : undefined;
      },
      TTL_MS * 3,
      'node-c refusing writes',
    );
    expect(suspended.body.code).toBe('CLUSTER_WRITES_SUSPENDED');
    expect(suspended.headers.get('retry-after')).toBe('2');
    // The gate closed on its own and said so; it dropped the pool, which the monitor reopens for reads.
    const lost = await events.waitFor('cluster.etcd-lost', 5000);
    expect(lost.data).toMatchObject({ node: c.id, failsafe: false });
    await c.process.logged(/"msg":"writes suspended: dropping the app pool/);
    await eventually(
      async () => ((await c.api('GET', `/api/v1/instances/cluster/start-${c.id}`)).status === 200 ? true : undefined),
      5000,
      'reads through node-c',
    );
    await writesThroughEveryNode({ live: [a, b] } as ClusterWorld, 'others-carry-on');
    c.proxies!.heal();
    await writesThroughEveryNode(world, 'healed');
    expect((await events.waitFor('cluster.etcd-regained', 5000)).data).toMatchObject({ node: c.id });
  });

  it('kill -9 of the primary: one promotion, all three nodes re-pointed, writes through each', async () => {
    const newPrimary = serverKey(world.db.replicas[0].port);
    await world.db.primary.kill();
    const views = await everyNodeOn(world, 1, newPrimary);
    for (const view of views)
      expect(view.lastChange).toMatchObject({ kind: 'failover', outcome: 'succeeded', epoch: 1 });
    await writesThroughEveryNode(world, 'after-failover');
    expect(await newestEpochRecord(world.db.replicas[0])).toMatchObject({
      epoch: 1,
      managedBy: 'cluster',
      writer: a.id,
    });
    const history = (await b.api('GET', '/api/v1/failover/history')).body.items;
    expect(
      history.filter((r: { kind: string; outcome: string }) => r.kind === 'failover' && r.outcome === 'succeeded'),
    ).toHaveLength(1);
  });

  it('kill -9 of the leader node: another node leads within the lease, and a restarted node follows etcd', async () => {
    const killedAt = Date.now();
    await a.kill();
    const next = await world.agreedLeader(TTL_MS * 2 + 2000);
    const tookMs = Date.now() - killedAt;
    console.log(JSON.stringify({ leaderTakeoverMs: tookMs, ttlMs: TTL_MS }));
    expect([b.id, c.id]).toContain(next.id);
    await a.start();
    const status = await eventually(
      async () => {
        const body = (await a.failoverStatus()).body;
        return body?.switching === false ? body : undefined;
      },
      20_000,
      'node-a back',
    );
    expect(status).toMatchObject({ epoch: 1, primary: serverKey(world.db.replicas[0].port) });
    const written = await a.write('cluster', 'restarted-node');
    expect([written.status, written.body?.code]).toEqual([200, undefined]);
  });
});

describe('cluster mode: the host of the leader and the primary dies', () => {
  let world: ClusterWorld;

  beforeAll(async () => {
    world = await ClusterWorld.start({ serverIdBase: 410, leaseTtlMs: TTL_MS });
  });
  afterAll(async () => {
    if (world) await world.stop();
  });

  it('kill -9 of the leader node and the primary together: a surviving node promotes the standby', async () => {
    const [a, b, c] = world.nodes;
    expect((await world.agreedLeader()).id).toBe(a.id);
    const newPrimary = serverKey(world.db.replicas[0].port);
    await Promise.all([a.kill(), world.db.primary.kill()]);
    await everyNodeOn(world, 1, newPrimary, TTL_MS * 2 + 30_000);
    await writesThroughEveryNode(world, 'after-host-loss');
    const leader = await world.agreedLeader();
    expect([b.id, c.id]).toContain(leader.id);
    expect((await leader.failoverStatus()).body.lastChange).toMatchObject({ kind: 'failover', outcome: 'succeeded' });
  });
});

describe('cluster mode: a deposed leader (SIGSTOP past its lease)', () => {
  let world: ClusterWorld;

  beforeAll(async () => {
    world = await ClusterWorld.start({ serverIdBase: 420, leaseTtlMs: TTL_MS, nodes: 2 });
  });
  afterAll(async () => {
    if (world) await world.stop();
  });

  it('writes nothing to etcd or the databases when it wakes up, and answers 503 until it re-read the topology', async () => {
    const [a, b] = world.nodes;
    expect((await world.agreedLeader()).id).toBe(a.id);
    a.pause();
    expect((await world.agreedLeader(TTL_MS * 2 + 2000, [b])).id).toBe(b.id);
    const newPrimary = serverKey(world.db.replicas[0].port);
    await world.db.primary.kill();
    await everyNodeOn({ live: [b] } as ClusterWorld, 1, newPrimary);
    const etcd = world.etcd.client();
    const before = (await etcd.get('/logic-ha/topology').exec()).kvs[0].mod_revision;

    // Sent while node-a is still stopped, so it is the first thing it serves when it wakes.
    const first = a.write('cluster', 'deposed-first');
    await new Promise((resolve) => setTimeout(resolve, 200));
    a.resume();
    const firstWrite = await first;
    expect(firstWrite.status).toBe(503);
    expect(firstWrite.body.code).toBe('CLUSTER_WRITES_SUSPENDED');
    await eventually(
      async () => ((await a.write('cluster', 'deposed-later')).status === 200 ? true : undefined),
      20_000,
      'node-a writing again once it re-read the topology',
    );
    await new Promise((resolve) => setTimeout(resolve, TTL_MS));
    expect((await etcd.get('/logic-ha/topology').exec()).kvs[0].mod_revision).toBe(before);
    expect(a.process.stdout()).not.toMatch(/"msg":"failover started"/);
    const statusOfA = (await a.failoverStatus()).body;
    expect(statusOfA).toMatchObject({ epoch: 1, primary: newPrimary });
    // node-a changed nothing on the new primary: still writable, and not made to replicate from anything.
    const [{ ro }] = await world.db.replicas[0].query<{ ro: number }[]>('SELECT @@read_only AS ro');
    expect(ro).toBe(0);
    expect(await world.db.replicas[0].query('SHOW ALL SLAVES STATUS')).toEqual([]);
  });
});

describe('cluster mode: etcd down', () => {
  let world: ClusterWorld;

  beforeAll(async () => {
    world = await ClusterWorld.start({ serverIdBase: 430, leaseTtlMs: TTL_MS, nodes: 2 });
  });
  afterAll(async () => {
    if (world) await world.stop();
  });

  it('keeps reads, stops writes after the lease, promotes nothing; carries on once etcd is back', async () => {
    const [a, b] = world.nodes;
    await world.agreedLeader();
    await writesThroughEveryNode(world, 'before');
    await world.etcd.stopAll();
    for (const node of [a, b]) {
      const refused = await eventually(
        async () => {
          const answer = await node.write('cluster', `etcd-down-${node.id}`);
          // A write caught in flight when the gate drops the pool fails as DATABASE_UNAVAILABLE first.
          return answer.body?.code === 'CLUSTER_WRITES_SUSPENDED' ? answer : undefined;
        },
        TTL_MS * 3,
        `${node.id} refusing writes`,
      );
      expect(refused.body.code).toBe('CLUSTER_WRITES_SUSPENDED');
      expect(refused.body.message).toMatch(/has not reached etcd/);
      // The gate dropped the pool as it closed; the monitor reopens it at its next heartbeat, for reads.
      await eventually(
        async () =>
          (await node.api('GET', `/api/v1/instances/cluster/before-${node.id}`)).status === 200 ? true : undefined,
        5000,
        `reads through ${node.id}`,
      );
    }
    await world.db.primary.kill();
    await new Promise((resolve) => setTimeout(resolve, 6000));
    for (const node of [a, b]) expect((await node.failoverStatus()).body.epoch).toBe(0);
    const [{ ro }] = await world.db.replicas[0].query<{ ro: number }[]>('SELECT @@read_only AS ro');
    expect(ro).toBe(1);

    await world.etcd.startAll();
    await everyNodeOn(world, 1, serverKey(world.db.replicas[0].port), 60_000);
    await writesThroughEveryNode(world, 'etcd-back');
  });
});

describe('cluster mode: the failsafe (CLUSTER_FAILSAFE=true)', () => {
  let world: ClusterWorld;

  beforeAll(async () => {
    world = await ClusterWorld.start({
      serverIdBase: 440,
      leaseTtlMs: TTL_MS,
      nodes: 2,
      env: { CLUSTER_FAILSAFE: 'true' },
    });
  });
  afterAll(async () => {
    if (world) await world.stop();
  });

  it('goes on writing without etcd while every node answers, and stops when one does not', async () => {
    const [a, b] = world.nodes;
    await world.agreedLeader();
    await world.etcd.stopAll();
    await new Promise((resolve) => setTimeout(resolve, TTL_MS + 1000));
    await eventually(
      async () => ((await a.write('cluster', `failsafe-${Date.now()}`)).status === 200 ? true : undefined),
      TTL_MS * 2,
      'writes under the failsafe',
    );
    expect((await a.cluster()).body.node.writes).toMatchObject({ allowed: true, via: 'failsafe' });
    await b.kill();
    const refused = await eventually(
      async () => {
        const answer = await a.write('cluster', `failsafe-lost-${Date.now()}`);
        return answer.body?.code === 'CLUSTER_WRITES_SUSPENDED' ? answer : undefined;
      },
      TTL_MS * 3,
      'node-a refusing writes once node-b is silent',
    );
    expect(refused.body.message).toMatch(new RegExp(`failsafe not confirmed: ${b.id} did not answer`));
  });
});

describe('cluster mode: cluster-wide effects', () => {
  let world: ClusterWorld;
  let backupDir: string;

  beforeAll(async () => {
    backupDir = mkdtempSync(join(tmpdir(), 'logic-ha-cluster-backups-'));
    world = await ClusterWorld.start({
      serverIdBase: 450,
      leaseTtlMs: TTL_MS,
      // Every node keeps the same schedule on the same (shared) storage: only the leader may act on it.
      env: { BACKUP_DIR: backupDir, BACKUP_FULL_CRON: '*/3 * * * * *', BACKUP_INCREMENTAL_CRON: 'off' },
    });
  });
  afterAll(async () => {
    if (world) await world.stop();
    rmSync(backupDir, { recursive: true, force: true });
  });

  it('takes each scheduled backup on exactly one node: the leader', async () => {
    const [a, b, c] = world.nodes;
    expect((await world.agreedLeader()).id).toBe(a.id);
    const backups = await eventually(
      async () => {
        const items = (await c.api('GET', '/api/v1/backups?state=succeeded')).body?.items ?? [];
        return items.length >= 3 ? items : undefined;
      },
      30_000,
      'three scheduled backups',
    );
    const startedBy = (node: ClusterNode) =>
      node.process
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"msg":"backup started"')).length;
    expect(startedBy(b)).toBe(0);
    expect(startedBy(c)).toBe(0);
    expect(startedBy(a)).toBeGreaterThanOrEqual(backups.length);
    const all = (await b.api('GET', '/api/v1/backups')).body.items as { triggeredBy: string; state: string }[];
    expect(all.every((backup) => backup.triggeredBy === 'schedule')).toBe(true);
    expect(all.filter((backup) => backup.state === 'failed')).toEqual([]);
  });

  it('a publish on one node evicts the cached config on every node', async () => {
    const [a, b, c] = world.nodes;
    const publish = (version: string) =>
      a.api('POST', '/api/v1/configs/cluster-flow/publish', { version, config: { nodes: [{ id: version }] } });
    expect((await publish('1')).status).toBe(201);
    for (const node of [b, c]) {
      expect((await node.api('GET', '/api/v1/configs/cluster-flow')).body).toMatchObject({ version: '1' });
      expect((await node.api('GET', '/api/v1/configs/cluster-flow')).body).toMatchObject({
        version: '1',
        source: 'cache',
      });
    }
    expect((await publish('2')).status).toBe(201);
    for (const node of [b, c]) {
      const read = await eventually(
        async () => {
          const body = (await node.api('GET', '/api/v1/configs/cluster-flow')).body;
          return body?.version === '2' ? body : undefined;
        },
        5000,
        `${node.id} reading version 2`,
      );
      expect(read.config).toMatchObject({ nodes: [{ id: '2' }] });
    }
  });
});

describe('cluster mode: restart during an outage', () => {
  let world: ClusterWorld;

  beforeAll(async () => {
    world = await ClusterWorld.start({ serverIdBase: 460, leaseTtlMs: TTL_MS, nodes: 1 });
  });
  afterAll(async () => {
    if (world) await world.stop();
  });

  it('kill -9 of the primary, then of the only node a second later: restarted, it leads, promotes and takes writes', async () => {
    const [a] = world.nodes;
    await world.agreedLeader();
    await world.db.primary.kill();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await a.kill();
    await a.start();
    await everyNodeOn(world, 1, serverKey(world.db.replicas[0].port), TTL_MS * 2 + 30_000);
    await writesThroughEveryNode(world, 'after-restart');
  });
});

describe('cluster mode: the leader dies in the middle of a failover', () => {
  let world: ClusterWorld;

  beforeAll(async () => {
    world = await ClusterWorld.start({
      serverIdBase: 470,
      leaseTtlMs: TTL_MS,
      nodes: 2,
      env: { FAILOVER_APPLY_TIMEOUT_MS: '30000' },
    });
  });
  afterAll(async () => {
    if (world) await world.stop();
  });

  it('the next leader finishes it on the same candidate, whose replication the first one had stopped', async () => {
    const [a, b] = world.nodes;
    expect((await world.agreedLeader()).id).toBe(a.id);
    const standby = world.db.replicas[0];
    // The standby receives but cannot apply (its SQL thread waits for a table lock held here):
    // the failover will wait in apply-relay-log.
    const blocker = await standby.connectAsRoot();
    await blocker.query('LOCK TABLES logic_ha.logic_instance WRITE');
    await writesThroughEveryNode(world, 'unapplied');
    await world.db.primary.kill();
    const etcd = world.etcd.client();
    await eventually(
      async () => {
        const text = await etcd.get('/logic-ha/topology').string();
        return text && (JSON.parse(text) as { pending?: unknown }).pending ? true : undefined;
      },
      20_000,
      'the failover intent in etcd',
    ).catch((error: unknown) => {
      console.log(world.logs(/Failover|failover|step|Cluster/));
      throw error;
    });
    await eventually(
      async () => (a.process.stdout().includes('"step":"stop-io-thread"') ? true : undefined),
      10_000,
      'the first leader stopping the candidate',
    );
    await a.kill();
    await blocker.end();

    await everyNodeOn({ live: [b] } as ClusterWorld, 1, serverKey(standby.port), TTL_MS * 2 + 30_000);
    await b.process.logged(/resuming failover fo-/);
    const [{ n }] = await standby.query<{ n: number }[]>(
      "SELECT COUNT(*) AS n FROM logic_ha.logic_instance WHERE bizId LIKE 'unapplied-%'",
    );
    expect(Number(n)).toBe(2);
    expect((await b.write('cluster', 'after-resumed-failover')).status).toBe(200);
    const text = await etcd.get('/logic-ha/topology').string();
    expect(JSON.parse(text!)).toMatchObject({ epoch: 1, pending: null });
  });
});

describe('cluster mode: starting while every etcd member is down', () => {
  let world: ClusterWorld;

  beforeAll(async () => {
    world = await ClusterWorld.start({ serverIdBase: 480, leaseTtlMs: TTL_MS, nodes: 1 });
  });
  afterAll(async () => {
    if (world) await world.stop();
  });

  it('a restarted node and a new one listen, serve reads, refuse writes; both write once etcd is back', async () => {
    const [a] = world.nodes;
    await world.agreedLeader();
    expect((await a.write('cluster', 'before-etcd-down')).status).toBe(200);
    const published = await a.api('POST', '/api/v1/configs/etcd-down-flow/publish', {
      version: '1',
      config: { nodes: [{ id: '1' }] },
    });
    expect(published.status).toBe(201);

    await world.etcd.stopAll();
    await a.kill();
    // One node that ran before (its topology.json mirrors etcd), one that never saw etcd.
    const b = await world.addNode();
    await Promise.all([a.start(), b.start()]);
    for (const node of [a, b]) {
      expect((await node.api('GET', '/health/live')).status).toBe(200);
      const instance = await eventually(
        async () => {
          const answer = await node.api('GET', '/api/v1/instances/cluster/before-etcd-down');
          return answer.status === 200 ? answer : undefined;
        },
        20_000,
        `an instance read through ${node.id}`,
      );
      expect(instance.body).toMatchObject({ bizId: 'before-etcd-down' });
      expect((await node.api('GET', '/api/v1/configs/etcd-down-flow')).body).toMatchObject({ version: '1' });
      const refused = await node.write('cluster', `etcd-down-${node.id}`);
      expect([refused.status, refused.body?.code]).toEqual([503, 'CLUSTER_WRITES_SUSPENDED']);
      expect(refused.headers.get('retry-after')).toBe('2');
    }

    await world.etcd.startAll();
    await writesThroughEveryNode(world, 'etcd-up');
    expect([a.id, b.id]).toContain((await world.agreedLeader(TTL_MS * 3 + 5000)).id);
  });
});
