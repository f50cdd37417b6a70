import { FailoverCluster, startFailoverCluster } from '../support/mariadb';
import { ADMIN_TOKEN, ListeningApp, sharedDataDir, startListeningApp } from '../support/failover-app';
import { startWriteLoad } from '../support/instance-writer';
import { openEventStream } from '../support/sse-client';

jest.setTimeout(120_000);

const LOGIC_ID = 'failover-kill';
const key = (port: number) => `127.0.0.1:${port}`;

async function bizIdsOn(server: FailoverCluster['primary']): Promise<Set<string>> {
  const rows = await server.query<{ bizId: string }[]>('SELECT bizId FROM logic_ha.logic_instance WHERE logicId = ?', [LOGIC_ID]);
  return new Set(rows.map((row) => row.bizId));
}

/**
 * The primary is killed (SIGKILL) while writers go through the API. Default detection
 * settings (1 s heartbeat, 3 misses). One story, in order: failover, no acknowledged
 * write lost, clients told, the old primary fenced when it returns, a restarted
 * logic-ha on the new primary.
 */
describe('failover after kill -9 of the primary (real MariaDB, semi-sync pair)', () => {
  let cluster: FailoverCluster;
  let app: ListeningApp;
  const dataDir = sharedDataDir();

  beforeAll(async () => {
    cluster = await startFailoverCluster({ replicas: 1, serverIdBase: 60 });
    app = await startListeningApp({ ...cluster.env(), DATA_DIR: dataDir.path });
  });
  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
    dataDir.remove();
  });

  it('starts at epoch 0 with the configured primary, the standby replicating, and the app account not privileged', async () => {
    const status = await app.admin.poll('/api/v1/failover/status', (s) => s.servers?.[1]?.replication?.ioThread === 'Yes');
    expect(status).toMatchObject({ enabled: true, epoch: 0, primary: key(cluster.primary.port), switching: false });
    expect(status.servers[0]).toMatchObject({ role: 'primary', reachable: true, readOnly: false, semiSyncActive: true });
    expect(status.servers[1]).toMatchObject({ key: key(cluster.replicas[0].port), role: 'standby', reachable: true });
    expect(status.appAccount).toMatchObject({ checked: true, bypassesReadOnly: false });
    expect(status.warnings).toEqual([]);
    expect(dataDir.topology()).toMatchObject({ epoch: 0, primary: key(cluster.primary.port), fenced: [] });
  });

  it('promotes the standby once, re-points the app, loses no acknowledged write and tells SSE clients', async () => {
    const events = await openEventStream(`${app.baseUrl}/api/v1/events`, ADMIN_TOKEN);
    expect(events.contentType).toMatch(/text\/event-stream/);
    await events.waitFor('topology', 5000, (e) => e.data.epoch === 0);
    const load = startWriteLoad(app.baseUrl, { writers: 4, logicId: LOGIC_ID });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(load.acknowledged.length).toBeGreaterThan(10);
    const killedAt = Date.now();
    await cluster.primary.kill();
    const firstWriteAfter = await load.firstAckAfter(killedAt, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await load.stop();

    const newPrimary = key(cluster.replicas[0].port);
    const changed = await events.waitFor('db.primary-changed', 5000);
    expect(changed.data).toMatchObject({ epoch: 1, oldPrimary: key(cluster.primary.port), newPrimary, primary: newPrimary });
    expect(events.events.filter((e) => e.type === 'db.failover-started')).toHaveLength(1);
    events.close();

    const status = (await app.admin.api('GET', '/api/v1/failover/status')).body;
    expect(status).toMatchObject({ epoch: 1, primary: newPrimary, switching: false });
    expect(status.lastChange).toMatchObject({ kind: 'failover', outcome: 'succeeded', newPrimary, epoch: 1 });
    const stepNames = status.lastChange.steps.map((step: { name: string }) => step.name);
    expect(stepNames).toEqual(expect.arrayContaining(['close-app-pool', 'stop-io-thread', 'apply-relay-log', 'enable-writes', 'persist-topology', 'repoint-app']));
    expect(status.cooldown).toMatchObject({ active: true, acknowledged: false });
    expect(dataDir.topology()).toMatchObject({ epoch: 1, primary: newPrimary, fenced: [key(cluster.primary.port)] });

    const onNewPrimary = await bizIdsOn(cluster.replicas[0]);
    const lost = load.acknowledged.filter((bizId) => !onNewPrimary.has(bizId));
    expect(lost).toEqual([]);
    expect(firstWriteAfter - killedAt).toBeGreaterThan(0);
    // While the primary was gone, writers were told to come back (503), not given a 500.
    const unexpected = app.test.logs.filter((line) => line.includes('unexpected error')).map((line) => JSON.parse(line).err.split('\n')[0]);
    expect(unexpected).toEqual([]);
    expect(load.failures.get(500) ?? 0).toBe(0);

    const [{ readOnly }] = await cluster.replicas[0].query<{ readOnly: number }[]>('SELECT @@global.read_only AS readOnly');
    expect(readOnly).toBe(0);
    const history = (await app.admin.api('GET', '/api/v1/failover/history')).body.items;
    expect(history).toHaveLength(1);
    const [row] = await cluster.replicas[0].query<{ id: string; outcome: string }[]>('SELECT id, outcome FROM logic_ha.logic_ha_failover');
    expect(row).toMatchObject({ id: history[0].id, outcome: 'succeeded' });
  });

  it('fences the old primary read-only when it comes back, and the app never writes to it', async () => {
    const events = await openEventStream(`${app.baseUrl}/api/v1/events`, ADMIN_TOKEN);
    await cluster.primary.restart();
    const fenced = await events.waitFor('db.old-primary-fenced', 15_000);
    expect(fenced.data).toMatchObject({ server: key(cluster.primary.port), epoch: 1 });
    events.close();
    const [{ readOnly }] = await cluster.primary.query<{ readOnly: number }[]>('SELECT @@global.read_only AS readOnly');
    expect(readOnly).toBe(1);
    const before = await bizIdsOn(cluster.primary);

    const load = startWriteLoad(app.baseUrl, { writers: 2, logicId: LOGIC_ID, prefix: 'after-fence-' });
    await load.firstAckAfter(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 300));
    await load.stop();
    expect(await bizIdsOn(cluster.primary)).toEqual(before);
    const onNewPrimary = await bizIdsOn(cluster.replicas[0]);
    expect(load.acknowledged.every((bizId) => onNewPrimary.has(bizId))).toBe(true);

    const status = (await app.admin.api('GET', '/api/v1/failover/status')).body;
    expect(status.servers.find((s: { key: string }) => s.key === key(cluster.primary.port))).toMatchObject({ role: 'fenced', reachable: true, readOnly: true });
    // An operator turning read_only off by mistake is undone at the next heartbeat.
    await cluster.primary.query('SET GLOBAL read_only = OFF');
    await app.admin.poll('/api/v1/failover/status', () => true, 100);
    await waitUntil(async () => (await cluster.primary.query<{ r: number }[]>('SELECT @@global.read_only AS r'))[0].r === 1, 10_000);
  });

  it('a restarted logic-ha reads the topology file and connects to the new primary, not DB_PRIMARY_URL', async () => {
    await app.close();
    app = await startListeningApp({ ...cluster.env(), DATA_DIR: dataDir.path });
    const before = await bizIdsOn(cluster.primary);
    const response = await fetch(`${app.baseUrl}/api/v1/instances/start`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ logicId: LOGIC_ID, bizId: 'after-restart' }),
    });
    expect(response.status).toBe(200);
    expect((await bizIdsOn(cluster.replicas[0])).has('after-restart')).toBe(true);
    expect(await bizIdsOn(cluster.primary)).toEqual(before);
    const status = (await app.admin.api('GET', '/api/v1/failover/status')).body;
    expect(status).toMatchObject({ epoch: 1, primary: key(cluster.replicas[0].port) });
    expect(app.test.logs.join('\n')).toMatch(/the topology file overrides DB_PRIMARY_URL/);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
