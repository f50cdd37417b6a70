import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serverKey, startListeningApp, useFailoverWorld } from '../support/failover-app';
import type { MariaDbServer } from '../support/mariadb';

jest.setTimeout(120_000);

interface EpochRow {
  epoch: number;
  primaryServer: string;
  managedBy: string;
  writer: string | null;
  recordedAt: Date;
}

function epochRows(server: MariaDbServer): Promise<EpochRow[]> {
  return server.query<EpochRow[]>('SELECT * FROM logic_ha.logic_ha_epoch ORDER BY epoch');
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The database side of the fencing token, on real servers: the epoch a failover reaches is
 * written on the new primary through the monitor's account (the grants of users.sql) and
 * replicates to the surviving standby.
 */
describe('epoch marker after a real failover (primary + 2 standbys)', () => {
  const world = useFailoverWorld({ replicas: 2, serverIdBase: 130, replicatingStandbys: 2 });

  it('records nothing before the first change', async () => {
    expect(await epochRows(world.cluster.primary)).toEqual([]);
  });

  it('kill -9 of the primary: the new primary and the surviving standby both carry epoch 1', async () => {
    await world.cluster.primary.kill();
    const status = await world.app.admin.poll(
      '/api/v1/failover/status',
      (s) => s.epoch === 1 && s.lastChange?.outcome === 'succeeded',
      30_000,
    );
    const steps = status.lastChange.steps as { name: string; ok: boolean; detail?: string }[];
    expect(steps.find((step) => step.name === 'check-epoch')).toMatchObject({
      ok: true,
      detail: 'no epoch recorded (ours 0)',
    });
    expect(steps.find((step) => step.name === 'record-epoch')).toMatchObject({ ok: true });
    const newPrimary = world.cluster.replicas.find((r) => serverKey(r.port) === status.primary)!;
    const survivor = world.cluster.replicas.find((r) => r !== newPrimary)!;
    const expected = { epoch: 1, primaryServer: status.primary, managedBy: 'single-node', writer: null };
    expect(await epochRows(newPrimary)).toEqual([{ ...expected, recordedAt: expect.any(Date) }]);
    await waitUntil(async () => (await epochRows(survivor)).length === 1, 10_000, 'the row replicated');
    expect(await epochRows(survivor)).toEqual([{ ...expected, recordedAt: expect.any(Date) }]);
  });
});

/**
 * A single node started on a database whose marker says a cluster manages it: it watches,
 * refuses to act and says why; forced with FAILOVER_FORCE_SINGLE_NODE=true, it fails over.
 */
describe('a single-node monitor on a database a cluster manages (primary + 1 standby)', () => {
  const world = useFailoverWorld({ replicas: 1, serverIdBase: 140, replicatingStandbys: 1 });
  const CLUSTER_EPOCH = 2;

  const statusOf = async () => (await world.app.admin.api('GET', '/api/v1/failover/status')).body;

  beforeAll(async () => {
    // The first app created the schema. A cluster then managed the database up to epoch 2;
    // this node's topology file was carried over from it, and the app restarts.
    await world.app.close();
    await world.cluster.primary.query(
      `INSERT INTO logic_ha.logic_ha_epoch (epoch, primaryServer, managedBy, writer, recordedAt)
       VALUES (?, ?, 'cluster', 'node-b', UTC_TIMESTAMP(3))`,
      [CLUSTER_EPOCH, serverKey(world.cluster.primary.port)],
    );
    const topology = world.dataDir.topology();
    writeFileSync(
      join(world.dataDir.path, 'topology.json'),
      JSON.stringify({ ...topology, epoch: CLUSTER_EPOCH }, null, 2),
    );
    world.app = await startListeningApp({ ...world.cluster.env(), DATA_DIR: world.dataDir.path });
  });

  it('refuses to act, saying why in status and in the log, naming FAILOVER_FORCE_SINGLE_NODE', async () => {
    const status = await world.app.admin.poll('/api/v1/failover/status', (s) => s.enabled === false);
    expect(status.reason).toMatch(
      /^the database is managed by a logic-ha cluster: .* records epoch 2 \(managedBy cluster, written by node-b, .*FAILOVER_FORCE_SINGLE_NODE=true/,
    );
    expect(world.app.test.logs.join('\n')).toMatch(/failover monitor refuses to act: .*FAILOVER_FORCE_SINGLE_NODE/);
  });

  it('does not fail over a dead primary while it refuses', async () => {
    await world.cluster.primary.kill();
    const status = await world.app.admin.poll(
      '/api/v1/failover/status',
      (s) => s.detection?.verdict === 'dead',
      20_000,
    );
    expect(status.detection.blockedReason).toMatch(/managed by a logic-ha cluster/);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await statusOf()).toMatchObject({ epoch: CLUSTER_EPOCH, primary: serverKey(world.cluster.primary.port) });
    const [{ readOnly }] = await world.cluster.replicas[0].query<{ readOnly: number }[]>(
      'SELECT @@global.read_only AS readOnly',
    );
    expect(readOnly).toBe(1);
  });

  it('forced with FAILOVER_FORCE_SINGLE_NODE=true, it acts (with a warning) and records its own epoch', async () => {
    await world.app.close();
    await world.cluster.primary.restart();
    world.app = await startListeningApp({
      ...world.cluster.env(),
      DATA_DIR: world.dataDir.path,
      FAILOVER_FORCE_SINGLE_NODE: 'true',
    });
    const forced = await world.app.admin.poll('/api/v1/failover/status', (s) =>
      (s.warnings ?? []).some((w: string) => w.startsWith('FAILOVER_FORCE_SINGLE_NODE=true')),
    );
    expect(forced).toMatchObject({ enabled: true, reason: null });
    await world.app.admin.poll('/api/v1/failover/status', (s) => s.servers?.[1]?.replication?.ioThread === 'Yes');

    await world.cluster.primary.kill();
    const newPrimary = serverKey(world.cluster.replicas[0].port);
    const status = await world.app.admin.poll(
      '/api/v1/failover/status',
      (s) => s.epoch === CLUSTER_EPOCH + 1 && s.lastChange?.outcome === 'succeeded',
      30_000,
    );
    expect(status.primary).toBe(newPrimary);
    expect((await epochRows(world.cluster.replicas[0])).map(({ recordedAt: _at, ...row }) => row)).toEqual([
      { epoch: 2, primaryServer: serverKey(world.cluster.primary.port), managedBy: 'cluster', writer: 'node-b' },
      { epoch: 3, primaryServer: newPrimary, managedBy: 'single-node', writer: null },
    ]);
  });
});
