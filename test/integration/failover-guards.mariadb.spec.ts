import { FailoverCluster, startFailoverCluster } from '../support/mariadb';
import { ADMIN_TOKEN, ListeningApp, sharedDataDir, startListeningApp } from '../support/failover-app';
import { startWriteLoad } from '../support/instance-writer';
import { openEventStream } from '../support/sse-client';
import { TcpProxy } from '../support/tcp-proxy';

jest.setTimeout(120_000);

const key = (port: number) => `127.0.0.1:${port}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startWrite(app: ListeningApp, bizId: string): Promise<number> {
  const response = await fetch(`${app.baseUrl}/api/v1/instances/start`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ logicId: 'guards', bizId }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** What must NOT cause a failover, with default detection settings (1 s heartbeat, 3 misses). */
describe('no failover without a confirmed death (real MariaDB)', () => {
  let cluster: FailoverCluster;
  let proxy: TcpProxy;
  let app: ListeningApp;
  const dataDir = sharedDataDir();

  beforeAll(async () => {
    cluster = await startFailoverCluster({ replicas: 1, serverIdBase: 70 });
    // The app and its monitor reach the primary through a proxy; the standby replicates directly.
    proxy = await TcpProxy.start(cluster.primary.port);
    app = await startListeningApp({ ...cluster.env({ primaryPort: proxy.port }), DATA_DIR: dataDir.path });
    await app.admin.poll('/api/v1/failover/status', (s) => s.servers?.[1]?.replication?.ioThread === 'Yes');
  });
  afterAll(async () => {
    await app?.close();
    await proxy?.stop();
    await cluster?.stop();
    dataDir.remove();
  });

  it('a primary stalled (SIGSTOP) for less than the detection window is not failed over', async () => {
    cluster.primary.pause();
    await sleep(1500);
    cluster.primary.resume();
    await sleep(4000);
    const status = (await app.admin.api('GET', '/api/v1/failover/status')).body;
    expect(status).toMatchObject({ epoch: 0, primary: key(proxy.port), lastChange: null });
    expect(status.detection.verdict).toBe('healthy');
    expect(await startWrite(app, 'after-stall')).toBe(200);
  });

  it('the monitor cut from the primary while the standby still replicates: suspect, never a failover', async () => {
    const events = await openEventStream(`${app.baseUrl}/api/v1/events`, ADMIN_TOKEN);
    // Writes keep reaching the primary directly, so the standby keeps hearing it.
    const direct = setInterval(() => void cluster.primary.query("INSERT INTO logic_ha.logic (id, name) VALUES (UUID(), 'direct')").catch(() => undefined), 200);
    proxy.cut();
    try {
      const suspect = await events.waitFor('db.primary-suspect', 15_000);
      expect(suspect.data).toMatchObject({ primary: key(proxy.port), epoch: 0, seenBy: [key(cluster.replicas[0].port)] });
      expect(suspect.data.reason).toMatch(/monitor-side partition/);
      await sleep(4000);
      const status = (await app.admin.api('GET', '/api/v1/failover/status')).body;
      expect(status).toMatchObject({ epoch: 0, lastChange: null });
      expect(status.detection.verdict).toBe('partitioned');
      expect(status.detection.misses).toBeGreaterThanOrEqual(3);
      expect(events.events.some((e) => e.type === 'db.failover-started')).toBe(false);
      const [{ readOnly }] = await cluster.replicas[0].query<{ readOnly: number }[]>('SELECT @@global.read_only AS readOnly');
      expect(readOnly).toBe(1);
    } finally {
      clearInterval(direct);
      proxy.heal();
      events.close();
    }
    await app.admin.poll('/api/v1/failover/status', (s) => s.detection.verdict === 'healthy', 15_000);
    const load = startWriteLoad(app.baseUrl, { writers: 1, logicId: 'guards', prefix: 'healed-' });
    await load.firstAckAfter(Date.now(), 15_000);
    await load.stop();
  });

  it('bad input to the control routes changes nothing in the topology file', async () => {
    const before = dataDir.topology();
    for (const body of [{ enabled: 'yes' }, {}, { enabled: true, reason: 'x'.repeat(201) }]) {
      expect((await app.admin.api('PUT', '/api/v1/failover/maintenance', body)).status).toBe(400);
    }
    expect((await app.admin.api('POST', '/api/v1/failover/ack', { note: 7 })).status).toBe(400);
    expect(dataDir.topology()).toEqual(before);
  });

  it('maintenance mode suspends automatic failover and shows in status', async () => {
    const on = await app.admin.api('PUT', '/api/v1/failover/maintenance', { enabled: true, reason: 'kernel upgrade' });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ maintenance: true, maintenanceReason: 'kernel upgrade' });
    expect((await app.admin.api('GET', '/api/v1/failover/status')).body.maintenance).toEqual({ enabled: true, reason: 'kernel upgrade' });
    await cluster.primary.kill();
    const blocked = await app.admin.poll('/api/v1/failover/status', (s) => s.detection.verdict === 'dead', 15_000);
    expect(blocked.detection.blockedReason).toMatch(/maintenance mode \(kernel upgrade\)/);
    await sleep(2000);
    expect((await app.admin.api('GET', '/api/v1/failover/status')).body).toMatchObject({ epoch: 0, lastChange: null });
    expect(dataDir.topology().control).toMatchObject({ maintenance: true });
    // Leaving maintenance lets the confirmed death be acted on.
    await app.admin.api('PUT', '/api/v1/failover/maintenance', { enabled: false });
    const after = await app.admin.poll('/api/v1/failover/status', (s) => s.epoch === 1, 15_000);
    expect(after.primary).toBe(key(cluster.replicas[0].port));
  });
});

describe('cooldown after a failover (real MariaDB, primary + two standbys)', () => {
  let cluster: FailoverCluster;
  let app: ListeningApp;
  const dataDir = sharedDataDir();

  beforeAll(async () => {
    cluster = await startFailoverCluster({ replicas: 2, serverIdBase: 80 });
    app = await startListeningApp({ ...cluster.env(), DATA_DIR: dataDir.path });
    await app.admin.poll('/api/v1/failover/status', (s) => s.servers?.filter((x: any) => x.replication?.ioThread === 'Yes').length === 2);
  });
  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
    dataDir.remove();
  });

  it('fails over once, re-points the other standby, then blocks a second failover until acknowledged', async () => {
    const [first, second] = cluster.replicas;
    const load = startWriteLoad(app.baseUrl, { writers: 2, logicId: 'cooldown' });
    await sleep(500);
    await cluster.primary.kill();
    const afterFirst = await app.admin.poll('/api/v1/failover/status', (s) => s.epoch === 1 && !s.switching, 20_000);
    expect(afterFirst.primary).toBe(key(first.port));
    expect(afterFirst.lastChange.steps.find((step: any) => step.name === 'repoint-standbys').detail).toBe(`${key(second.port)} replicates from ${key(first.port)}`);
    await load.firstAckAfter(Date.now(), 10_000);
    await sleep(300);
    await load.stop();
    // The second standby now follows the first: it has every acknowledged write.
    const following = await app.admin.poll('/api/v1/failover/status', (s) => s.servers.find((x: any) => x.key === key(second.port))?.replication?.ioThread === 'Yes', 10_000);
    // CHANGE MASTER to a new host resets the heartbeat period to 30 s unless it is set again.
    expect(following.servers.find((x: any) => x.key === key(second.port)).replication.heartbeatPeriodSeconds).toBe(1);
    expect(following.warnings).toEqual([]);
    const [{ position }] = await first.query<{ position: string }[]>('SELECT @@global.gtid_binlog_pos AS position');
    await second.query('SELECT MASTER_GTID_WAIT(?, 10)', [position]);
    const rows = await second.query<{ bizId: string }[]>("SELECT bizId FROM logic_ha.logic_instance WHERE logicId = 'cooldown'");
    const onSecond = new Set(rows.map((row) => row.bizId));
    expect(load.acknowledged.filter((bizId) => !onSecond.has(bizId))).toEqual([]);

    await first.kill();
    const blocked = await app.admin.poll('/api/v1/failover/status', (s) => s.detection.verdict === 'dead', 15_000);
    expect(blocked.detection.blockedReason).toMatch(/cooldown after the last change until/);
    expect(blocked.cooldown).toMatchObject({ active: true, acknowledged: false });
    await sleep(2000);
    expect((await app.admin.api('GET', '/api/v1/failover/status')).body.epoch).toBe(1);

    const ack = await app.admin.api('POST', '/api/v1/failover/ack', { note: 'checked first standby' });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ acknowledged: true, disabledReason: null });
    const afterSecond = await app.admin.poll('/api/v1/failover/status', (s) => s.epoch === 2 && !s.switching, 20_000);
    expect(afterSecond.primary).toBe(key(second.port));
    expect(afterSecond.servers.filter((s: any) => s.role === 'fenced').map((s: any) => s.key).sort()).toEqual([key(cluster.primary.port), key(first.port)].sort());
    expect(await startWrite(app, 'after-second')).toBe(200);
    const [row] = await second.query<{ n: number }[]>("SELECT COUNT(*) AS n FROM logic_ha.logic_instance WHERE bizId = 'after-second'");
    expect(Number(row.n)).toBe(1);
  });
});
