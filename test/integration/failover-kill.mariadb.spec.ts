import {
  ADMIN_TOKEN,
  bizIdsOn,
  serverKey,
  startInstance,
  startListeningApp,
  useFailoverWorld,
} from '../support/failover-app';
import { startWriteLoad } from '../support/instance-writer';
import { openEventStream } from '../support/sse-client';

jest.setTimeout(120_000);

const LOGIC_ID = 'failover-kill';

/**
 * The primary is killed (SIGKILL) while writers go through the API. Default detection
 * settings (1 s heartbeat, 3 misses). One story, in order: failover, no acknowledged
 * write lost, clients told, the old primary fenced when it returns, a restarted
 * logic-ha on the new primary.
 */
describe('failover after kill -9 of the primary (real MariaDB, semi-sync pair)', () => {
  // This story is about fencing: the old primary must stay fenced when it returns (its
  // automatic rejoin is failover-rejoin.mariadb.spec.ts's story).
  const NO_REJOIN = { FAILOVER_AUTO_REJOIN: 'false' };
  const world = useFailoverWorld({ replicas: 1, serverIdBase: 60, env: NO_REJOIN });

  it('starts at epoch 0 with the configured primary, the standby replicating, and the app account not privileged', async () => {
    const status = await world.app.admin.poll(
      '/api/v1/failover/status',
      (s) => s.servers?.[1]?.replication?.ioThread === 'Yes',
    );
    expect(status).toMatchObject({
      enabled: true,
      epoch: 0,
      primary: serverKey(world.cluster.primary.port),
      switching: false,
    });
    expect(status.servers[0]).toMatchObject({
      role: 'primary',
      reachable: true,
      readOnly: false,
      semiSyncActive: true,
    });
    expect(status.servers[1]).toMatchObject({
      key: serverKey(world.cluster.replicas[0].port),
      role: 'standby',
      reachable: true,
    });
    expect(status.appAccount).toMatchObject({ checked: true, bypassesReadOnly: false });
    expect(status.warnings).toEqual([]);
    expect(world.dataDir.topology()).toMatchObject({
      epoch: 0,
      primary: serverKey(world.cluster.primary.port),
      fenced: [],
    });
  });

  it('promotes the standby once, re-points the app, loses no acknowledged write and tells SSE clients', async () => {
    const events = await openEventStream(`${world.app.baseUrl}/api/v1/events`, ADMIN_TOKEN);
    expect(events.contentType).toMatch(/text\/event-stream/);
    await events.waitFor('topology', 5000, (e) => e.data.epoch === 0);
    const load = startWriteLoad(world.app.baseUrl, { writers: 4, logicId: LOGIC_ID });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(load.acknowledged.length).toBeGreaterThan(10);
    const killedAt = Date.now();
    await world.cluster.primary.kill();
    const firstWriteAfter = await load.firstAckAfter(killedAt, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await load.stop();

    const newPrimary = serverKey(world.cluster.replicas[0].port);
    const changed = await events.waitFor('db.primary-changed', 5000);
    expect(changed.data).toMatchObject({
      epoch: 1,
      oldPrimary: serverKey(world.cluster.primary.port),
      newPrimary,
      primary: newPrimary,
    });
    expect(events.events.filter((e) => e.type === 'db.failover-started')).toHaveLength(1);
    events.close();

    const status = (await world.app.admin.api('GET', '/api/v1/failover/status')).body;
    expect(status).toMatchObject({ epoch: 1, primary: newPrimary, switching: false });
    expect(status.lastChange).toMatchObject({ kind: 'failover', outcome: 'succeeded', newPrimary, epoch: 1 });
    const stepNames = status.lastChange.steps.map((step: { name: string }) => step.name);
    expect(stepNames).toEqual(
      expect.arrayContaining([
        'close-app-pool',
        'stop-io-thread',
        'apply-relay-log',
        'enable-writes',
        'persist-topology',
        'repoint-app',
      ]),
    );
    expect(status.cooldown).toMatchObject({ active: true, acknowledged: false });
    expect(world.dataDir.topology()).toMatchObject({
      epoch: 1,
      primary: newPrimary,
      fenced: [serverKey(world.cluster.primary.port)],
    });

    const onNewPrimary = await bizIdsOn(world.cluster.replicas[0], LOGIC_ID);
    const lost = load.acknowledged.filter((bizId) => !onNewPrimary.has(bizId));
    expect(lost).toEqual([]);
    expect(firstWriteAfter - killedAt).toBeGreaterThan(0);
    // While the primary was gone, writers were told to come back (503), not given a 500.
    const unexpected = world.app.test.logs
      .filter((line) => line.includes('unexpected error'))
      .map((line) => JSON.parse(line).err.split('\n')[0]);
    expect(unexpected).toEqual([]);
    expect(load.failures.get(500) ?? 0).toBe(0);

    const [{ readOnly }] = await world.cluster.replicas[0].query<{ readOnly: number }[]>(
      'SELECT @@global.read_only AS readOnly',
    );
    expect(readOnly).toBe(0);
    const history = (await world.app.admin.api('GET', '/api/v1/failover/history')).body.items;
    expect(history).toHaveLength(1);
    const [row] = await world.cluster.replicas[0].query<{ id: string; outcome: string }[]>(
      'SELECT id, outcome FROM logic_ha.logic_ha_failover',
    );
    expect(row).toMatchObject({ id: history[0].id, outcome: 'succeeded' });
  });

  it('fences the old primary read-only when it comes back, and the app never writes to it', async () => {
    const events = await openEventStream(`${world.app.baseUrl}/api/v1/events`, ADMIN_TOKEN);
    await world.cluster.primary.restart();
    const fenced = await events.waitFor('db.old-primary-fenced', 15_000);
    expect(fenced.data).toMatchObject({ server: serverKey(world.cluster.primary.port), epoch: 1 });
    events.close();
    const [{ readOnly }] = await world.cluster.primary.query<{ readOnly: number }[]>(
      'SELECT @@global.read_only AS readOnly',
    );
    expect(readOnly).toBe(1);
    const before = await bizIdsOn(world.cluster.primary, LOGIC_ID);

    const load = startWriteLoad(world.app.baseUrl, { writers: 2, logicId: LOGIC_ID, prefix: 'after-fence-' });
    await load.firstAckAfter(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 300));
    await load.stop();
    expect(await bizIdsOn(world.cluster.primary, LOGIC_ID)).toEqual(before);
    const onNewPrimary = await bizIdsOn(world.cluster.replicas[0], LOGIC_ID);
    expect(load.acknowledged.every((bizId) => onNewPrimary.has(bizId))).toBe(true);

    const status = (await world.app.admin.api('GET', '/api/v1/failover/status')).body;
    expect(status.servers.find((s: { key: string }) => s.key === serverKey(world.cluster.primary.port))).toMatchObject({
      role: 'fenced',
      reachable: true,
      readOnly: true,
    });
    // An operator turning read_only off by mistake is undone at the next heartbeat.
    await world.cluster.primary.query('SET GLOBAL read_only = OFF');
    await world.app.admin.poll('/api/v1/failover/status', () => true, 100);
    await waitUntil(
      async () => (await world.cluster.primary.query<{ r: number }[]>('SELECT @@global.read_only AS r'))[0].r === 1,
      10_000,
    );
  });

  it('a restarted logic-ha reads the topology file and connects to the new primary, not DB_PRIMARY_URL', async () => {
    await world.app.close();
    world.app = await startListeningApp({ ...world.cluster.env(), DATA_DIR: world.dataDir.path, ...NO_REJOIN });
    const before = await bizIdsOn(world.cluster.primary, LOGIC_ID);
    expect(await startInstance(world.app, LOGIC_ID, 'after-restart')).toBe(200);
    expect((await bizIdsOn(world.cluster.replicas[0], LOGIC_ID)).has('after-restart')).toBe(true);
    expect(await bizIdsOn(world.cluster.primary, LOGIC_ID)).toEqual(before);
    const status = (await world.app.admin.api('GET', '/api/v1/failover/status')).body;
    expect(status).toMatchObject({ epoch: 1, primary: serverKey(world.cluster.replicas[0].port) });
    expect(world.app.test.logs.join('\n')).toMatch(/the stored topology overrides DB_PRIMARY_URL/);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
