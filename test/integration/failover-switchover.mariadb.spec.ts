import { FailoverCluster, MariaDbServer, startFailoverCluster } from '../support/mariadb';
import { ListeningApp, sharedDataDir, startListeningApp } from '../support/failover-app';
import { startWriteLoad } from '../support/instance-writer';

jest.setTimeout(120_000);

const key = (port: number) => `127.0.0.1:${port}`;

async function bizIdsOn(server: MariaDbServer): Promise<Set<string>> {
  const rows = await server.query<{ bizId: string }[]>("SELECT bizId FROM logic_ha.logic_instance WHERE logicId = 'switchover'");
  return new Set(rows.map((row) => row.bizId));
}

async function replicationSourcePort(server: MariaDbServer): Promise<number | null> {
  const rows = await server.query<{ Master_Port: number; Slave_IO_Running: string; Slave_SQL_Running: string }[]>('SHOW SLAVE STATUS');
  return rows[0]?.Slave_IO_Running === 'Yes' && rows[0].Slave_SQL_Running === 'Yes' ? rows[0].Master_Port : null;
}

describe('planned switchover (real MariaDB, semi-sync pair)', () => {
  let cluster: FailoverCluster;
  let app: ListeningApp;
  const dataDir = sharedDataDir();

  beforeAll(async () => {
    cluster = await startFailoverCluster({ replicas: 1, serverIdBase: 90 });
    app = await startListeningApp({ ...cluster.env(), DATA_DIR: dataDir.path });
    await app.admin.poll('/api/v1/failover/status', (s) => s.servers?.[1]?.replication?.ioThread === 'Yes');
  });
  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
    dataDir.remove();
  });

  it.each([
    [{ target: 'not-a-server' }, 400, 'VALIDATION_FAILED'],
    [{ target: '10.1.2.3:3306' }, 404, 'FAILOVER_UNKNOWN_SERVER'],
    [{ extra: 1 }, 400, 'VALIDATION_FAILED'],
  ])('refuses %j with %i and changes nothing', async (body, status, code) => {
    const before = dataDir.topology();
    const response = await app.admin.api('POST', '/api/v1/failover/switchover', body);
    expect(response).toMatchObject({ status, body: { code } });
    expect(dataDir.topology()).toEqual(before);
  });

  it('refuses the primary as target', async () => {
    const response = await app.admin.api('POST', '/api/v1/failover/switchover', { target: key(cluster.primary.port) });
    expect(response).toMatchObject({ status: 409, body: { code: 'SWITCHOVER_REFUSED', message: expect.stringMatching(/is the primary, not a standby/) } });
  });

  it('moves the primary under write load without losing an acknowledged write; the old primary follows the new one', async () => {
    const [standby] = cluster.replicas;
    const load = startWriteLoad(app.baseUrl, { writers: 4, logicId: 'switchover' });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const response = await app.admin.api('POST', '/api/v1/failover/switchover', {});
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ kind: 'switchover', outcome: 'succeeded', oldPrimary: key(cluster.primary.port), newPrimary: key(standby.port), epoch: 1 });
    const switchedAt = Date.now();
    await load.firstAckAfter(switchedAt, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await load.stop();

    const onNew = await bizIdsOn(standby);
    expect(load.acknowledged.filter((bizId) => !onNew.has(bizId))).toEqual([]);
    expect(await replicationSourcePort(cluster.primary)).toBe(standby.port);
    const [{ readOnly }] = await cluster.primary.query<{ readOnly: number }[]>('SELECT @@global.read_only AS readOnly');
    expect(readOnly).toBe(1);
    const [{ position }] = await standby.query<{ position: string }[]>('SELECT @@global.gtid_binlog_pos AS position');
    await cluster.primary.query('SELECT MASTER_GTID_WAIT(?, 10)', [position]);
    expect(await bizIdsOn(cluster.primary)).toEqual(onNew);
    expect(await replicationSourcePort(cluster.primary)).toBe(standby.port);

    const status = await app.admin.poll('/api/v1/failover/status', (s) => s.servers?.find((x: any) => x.key === key(cluster.primary.port))?.replication?.ioThread === 'Yes', 10_000);
    expect(status).toMatchObject({ epoch: 1, primary: key(standby.port), cooldown: { active: false } });
    expect(status.servers.find((x: any) => x.key === key(cluster.primary.port)).role).toBe('standby');
  });

  it('switches back', async () => {
    const response = await app.admin.api('POST', '/api/v1/failover/switchover', { target: key(cluster.primary.port) });
    expect(response.body).toMatchObject({ outcome: 'succeeded', newPrimary: key(cluster.primary.port), epoch: 2 });
    expect(await replicationSourcePort(cluster.replicas[0])).toBe(cluster.primary.port);
    const write = await fetch(`${app.baseUrl}/api/v1/instances/start`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ logicId: 'switchover', bizId: 'back-home' }),
    });
    expect(write.status).toBe(200);
    expect((await bizIdsOn(cluster.primary)).has('back-home')).toBe(true);
    expect(dataDir.topology().history.map((h) => h.kind)).toEqual(['switchover', 'switchover']);
  });
});

/**
 * A primary that hangs (SIGSTOP) for longer than the window: its standby's IO thread still
 * says "Yes", so only the standby's silence confirms the death.
 */
describe('failover of a hung primary (real MariaDB, SIGSTOP past the window)', () => {
  let cluster: FailoverCluster;
  let app: ListeningApp;
  const dataDir = sharedDataDir();

  beforeAll(async () => {
    cluster = await startFailoverCluster({ replicas: 1, serverIdBase: 110 });
    app = await startListeningApp({ ...cluster.env(), DATA_DIR: dataDir.path });
    await app.admin.poll('/api/v1/failover/status', (s) => s.servers?.[1]?.replication?.ioThread === 'Yes');
  });
  afterAll(async () => {
    cluster?.primary.resume();
    await app?.close();
    await cluster?.stop();
    dataDir.remove();
  });

  it('fails over once the standby has heard nothing for the window; writes stuck on the hung server are answered, not left hanging', async () => {
    const load = startWriteLoad(app.baseUrl, { writers: 2, logicId: 'switchover' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const pausedAt = Date.now();
    cluster.primary.pause();
    const status = await app.admin.poll('/api/v1/failover/status', (s) => s.epoch === 1 && !s.switching, 20_000);
    expect(status.primary).toBe(key(cluster.replicas[0].port));
    expect(status.lastChange.reason).toMatch(/nothing from the primary for \d+ ms/);
    await load.firstAckAfter(pausedAt, 10_000);
    await load.stop();
    // Every request got an answer (503 while stuck, then success); none ran into the client's 10 s timeout.
    expect(load.failures.get(0) ?? 0).toBe(0);
    const onNew = await bizIdsOn(cluster.replicas[0]);
    expect(load.acknowledged.filter((bizId) => !onNew.has(bizId))).toEqual([]);
  });
});
