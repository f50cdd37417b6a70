import { ClusterWorld, eventually } from '../support/cluster-world';
import { serverKey } from '../support/failover-app';
import { waitForReplicaCaughtUp } from '../support/mariadb';

jest.setTimeout(240_000);

/**
 * Cluster mode: only the leader rejoins, and the change goes through etcd (the leader's
 * fenced compare-and-set), so every node sees the old primary as a standby afterwards.
 */
describe('cluster mode: automatic rejoin of the old primary', () => {
  let world: ClusterWorld;

  beforeAll(async () => {
    world = await ClusterWorld.start({ nodes: 2, serverIdBase: 420, env: { HEARTBEAT_TIMEOUT_MS: '3000' } });
  });
  afterAll(async () => {
    if (world) await world.stop();
  });

  it('the leader rejoins it as a standby once it is back; both nodes see it through etcd; the follower never acts', async () => {
    const [a, b] = world.nodes;
    const oldPrimary = serverKey(world.db.primary.port);
    const newPrimary = serverKey(world.db.replicas[0].port);
    const leader = await world.agreedLeader();
    expect(leader.id).toBe(a.id);
    // Nothing in flight at the kill: the old primary holds nothing the standby lacks.
    await waitForReplicaCaughtUp(world.db.primary, world.db.replicas[0]);
    await world.db.primary.kill();
    await eventually(
      async () => {
        const views = await Promise.all(world.nodes.map((node) => node.failoverStatus().then((x) => x.body)));
        return views.every((v) => v?.epoch === 1 && v?.primary === newPrimary) ? views : undefined;
      },
      60_000,
      'the failover seen by both nodes',
    );

    await world.db.primary.restart();
    const views = await eventually(
      async () => {
        const seen = await Promise.all(world.nodes.map((node) => node.failoverStatus().then((x) => x.body)));
        const ok = seen.every((v) =>
          v?.servers?.some(
            (s: { key: string; role: string; replication?: { ioThread?: string } }) =>
              s.key === oldPrimary && s.role === 'standby' && s.replication?.ioThread === 'Yes',
          ),
        );
        return ok ? seen : undefined;
      },
      90_000,
      'the old primary listed as a replicating standby by both nodes',
    );
    expect(views.map((v) => v.epoch)).toEqual([1, 1]);
    const logs = (node: typeof a) => node.process.stdout();
    expect(logs(a)).toMatch(/rejoined a fenced server as a standby/);
    expect(logs(b)).not.toMatch(/rejoined a fenced server|rejoin failed/);
    // The follower's own copy of the topology comes from etcd: what the CLI reads there.
    const cli = await b.cli(['failover', 'status']);
    expect(cli.code).toBe(0);
    expect(cli.out.servers).toEqual(
      expect.arrayContaining([
        { key: oldPrimary, role: 'standby' },
        { key: newPrimary, role: 'primary' },
      ]),
    );
    // It replicates for real: a write through the follower reaches it.
    expect((await b.write('cluster-rejoin', 'after-rejoin')).status).toBe(200);
    await eventually(
      async () => {
        const rows = await world.db.primary.query<unknown[]>(
          "SELECT 1 FROM logic_ha.logic_instance WHERE bizId = 'after-rejoin'",
        );
        return rows.length > 0 ? true : undefined;
      },
      30_000,
      'the write on the rejoined server',
    );
  });
});
