import {
  ADMIN_TOKEN,
  type ListeningApp,
  bizIdsOn,
  sharedDataDir,
  startInstance,
  startListeningApp,
  serverKey,
} from '../support/failover-app';
import { DEPLOYMENT, type FailoverCluster, type MariaDbServer, startFailoverCluster } from '../support/mariadb';
import { openEventStream } from '../support/sse-client';
import { TcpProxy } from '../support/tcp-proxy';
import { gtidCovers } from '../../src/failover/guard/gtid-coverage';

jest.setTimeout(180_000);

const LOGIC_ID = 'zero-loss';
const LOSS_WAIT_MS = 1500;

/**
 * A semi-sync pair whose standby replicates through a TCP proxy the test cuts: the
 * primary's next commit waits for an acknowledgement until rpl_semi_sync_master_timeout
 * (5 s), semi-sync falls back to async, and later commits are acknowledged to the client
 * with nothing on the standby. Then the primary is killed (-9).
 */
interface LaggingWorld {
  cluster: FailoverCluster;
  proxy: TcpProxy;
  app: ListeningApp;
  dataDir: ReturnType<typeof sharedDataDir>;
  events: Awaited<ReturnType<typeof openEventStream>>;
  /** Written before the cut: on both servers. */
  before: string[];
  /** Acknowledged after the cut, while semi-sync had fallen back: on the primary only. */
  after: string[];
}

function useLaggingStandby(serverIdBase: number, env: Record<string, string>): LaggingWorld {
  const world = { dataDir: sharedDataDir(), before: [], after: [] } as unknown as LaggingWorld;
  beforeAll(async () => {
    world.cluster = await startFailoverCluster({ replicas: 1, serverIdBase });
    const [replica] = world.cluster.replicas;
    world.proxy = await TcpProxy.start(world.cluster.primary.port);
    await replica.query('STOP SLAVE; CHANGE MASTER TO MASTER_PORT = ?; START SLAVE;', [world.proxy.port]);
    world.app = await startListeningApp({
      ...world.cluster.env(),
      DATA_DIR: world.dataDir.path,
      FAILOVER_LOSS_WAIT_MS: String(LOSS_WAIT_MS),
      ...env,
    });
    world.events = await openEventStream(`${world.app.baseUrl}/api/v1/events`, ADMIN_TOKEN);
    await world.app.admin.poll(
      '/api/v1/failover/status',
      (s) => s.servers?.[1]?.replication?.ioThread === 'Yes' && s.zeroLossGuard?.semiSync?.active === true,
    );
  });
  afterAll(async () => {
    world.events?.close();
    await world.app?.close();
    await world.proxy?.stop();
    await world.cluster?.stop();
    world.dataDir.remove();
  });
  return world;
}

/** Writes through the API, cuts the standby off, writes more (the first waits out the semi-sync timeout), kills the primary. */
async function writeCutAndKill(world: LaggingWorld): Promise<string> {
  for (let i = 0; i < 5; i++) world.before.push(await acknowledgedWrite(world.app, `before-${i}`));
  await waitForPosition(world.cluster.replicas[0], world.cluster.primary);
  world.proxy.cut();
  for (let i = 0; i < 5; i++) world.after.push(await acknowledgedWrite(world.app, `after-${i}`));
  const off = await world.events.waitFor('db.semi-sync-changed', 15_000, (e) => e.data.active === false);
  expect(off.data).toMatchObject({ primary: serverKey(world.cluster.primary.port), active: false });
  // The heartbeats have seen the primary's position with every write acknowledged after the cut.
  const [{ position }] = await world.cluster.primary.query<{ position: string }[]>(
    'SELECT @@global.gtid_binlog_pos AS position',
  );
  await world.app.admin.poll('/api/v1/failover/status', (s) => s.zeroLossGuard?.acknowledgedPosition === position);
  const [{ received }] = await world.cluster.replicas[0].query<{ received: string }[]>(
    "SELECT VARIABLE_VALUE AS received FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_SLAVE_STATUS'",
  );
  expect(received).toBe('ON');
  await world.cluster.primary.kill();
  return position;
}

describe('zero-loss guard: a lagging standby is not promoted over acknowledged writes (real MariaDB, semi-sync)', () => {
  const world = useLaggingStandby(700, {});

  it('fails the failover at await-acknowledged after FAILOVER_LOSS_WAIT_MS, leaving the standby untouched', async () => {
    await writeCutAndKill(world);
    const failed = await world.events.waitFor('db.failover-failed', 60_000);
    expect(failed.data).toMatchObject({ step: 'await-acknowledged' });
    expect(failed.data.reason).toMatch(/possibly lost 0-\d+-\d+\.\.\d+/);
    expect(world.events.events.filter((e) => e.type === 'db.primary-changed')).toEqual([]);
    expect(world.events.events.filter((e) => e.type === 'db.possible-loss')).toEqual([]);

    const status = (await world.app.admin.api('GET', '/api/v1/failover/status')).body;
    expect(status).toMatchObject({ epoch: 0, primary: serverKey(world.cluster.primary.port) });
    expect(status.disabledReason).toMatch(/await-acknowledged/);
    const step = status.lastChange.steps.find((s: { name: string }) => s.name === 'await-acknowledged');
    expect(step).toMatchObject({ ok: false });
    // Bounded: it gave up once the wait was over (no upper bound asserted: timing lives in bench/).
    expect(step.durationMs).toBeGreaterThanOrEqual(LOSS_WAIT_MS);
    const [replica] = world.cluster.replicas;
    const [{ readOnly }] = await replica.query<{ readOnly: number }[]>('SELECT @@global.read_only AS readOnly');
    expect(readOnly).toBe(1);
    const [slave] = await replica.query<{ Slave_IO_Running: string }[]>('SHOW SLAVE STATUS');
    expect(slave).toBeDefined();
  });

  it('loses nothing: the primary comes back, the standby catches up and holds every acknowledged write', async () => {
    const { primary, replicas } = world.cluster;
    await primary.restart();
    world.proxy.heal();
    await waitForPosition(replicas[0], primary);
    const onReplica = await bizIdsOn(replicas[0], LOGIC_ID);
    expect([...world.before, ...world.after].filter((bizId) => !onReplica.has(bizId))).toEqual([]);
    // The app is back on the primary it never left.
    await world.app.admin.poll('/api/v1/failover/status', (s) => s.servers?.[0]?.reachable === true);
    expect(await retryWrite(world.app, 'after-return')).toBe(200);
  });
});

describe('zero-loss guard with FAILOVER_ALLOW_LOSS=true: promotes after the wait and names what may be lost', () => {
  const world = useLaggingStandby(710, { FAILOVER_ALLOW_LOSS: 'true' });

  it('promotes the standby and reports the acknowledged writes it lacks (db.possible-loss, the step, the history)', async () => {
    const acknowledged = await writeCutAndKill(world);
    const loss = await world.events.waitFor('db.possible-loss', 60_000);
    const changed = await world.events.waitFor('db.primary-changed', 30_000);
    const newPrimary = serverKey(world.cluster.replicas[0].port);
    expect(changed.data).toMatchObject({ newPrimary });
    expect(loss.data).toMatchObject({ id: changed.data.id, candidate: newPrimary });
    expect(loss.data.waitedMs).toBeGreaterThanOrEqual(LOSS_WAIT_MS);

    const onNewPrimary = await bizIdsOn(world.cluster.replicas[0], LOGIC_ID);
    // Written before the cut: kept. After it (acknowledged asynchronously): the reported loss.
    expect(world.before.filter((bizId) => !onNewPrimary.has(bizId))).toEqual([]);
    expect(world.after.filter((bizId) => onNewPrimary.has(bizId))).toEqual([]);
    // What the heartbeats last saw of the primary, and what the standby had: the gap is the loss.
    expect(loss.data.acknowledged).toBe(acknowledged);
    expect(gtidCovers(loss.data.received as string, acknowledged)).toBe(false);
    const status = await world.app.admin.poll('/api/v1/failover/status', (s) => s.lastChange?.id === changed.data.id);
    expect(status.lastChange).toMatchObject({ outcome: 'succeeded', newPrimary });
    const step = status.lastChange.steps.find((s: { name: string }) => s.name === 'await-acknowledged');
    expect(step.detail).toMatch(/FAILOVER_ALLOW_LOSS=true: promoted anyway; .* possibly lost 0-\d+-\d+\.\.\d+/);
  });
});

describe('FAILOVER_CONFIGURE_REPLICAS: logic-ha sets the standby up (real MariaDB, no semi-sync configured)', () => {
  let cluster: FailoverCluster;
  let app: ListeningApp;
  let events: Awaited<ReturnType<typeof openEventStream>>;
  const dataDir = sharedDataDir();

  beforeAll(async () => {
    cluster = await startFailoverCluster({ replicas: 1, serverIdBase: 720, semiSync: false });
    await cluster.replicas[0].query(
      'STOP SLAVE; CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD = 0; START SLAVE; SET GLOBAL read_only = OFF;',
    );
  });
  afterAll(async () => {
    events?.close();
    await app?.close();
    await cluster?.stop();
    dataDir.remove();
  });

  it('fixes a standby started with heartbeat period 0, read_only off and semi-sync off, and the primary, and reports it', async () => {
    app = await startListeningApp({ ...cluster.env(), DATA_DIR: dataDir.path });
    events = await openEventStream(`${app.baseUrl}/api/v1/events`, ADMIN_TOKEN);
    const standby = serverKey(cluster.replicas[0].port);
    const primary = serverKey(cluster.primary.port);
    const status = await app.admin.poll('/api/v1/failover/status', (s) =>
      ((s.replicaConfiguration?.recentChanges ?? []) as { server: string }[]).some((c) => c.server === primary),
    );
    const changes = (status.replicaConfiguration.recentChanges as { server: string; changes: string[] }[]).flatMap(
      (c) => c.changes.map((change) => `${c.server} ${change}`),
    );
    expect(changes).toEqual(
      expect.arrayContaining([
        `${standby} read_only OFF -> ON`,
        `${standby} rpl_semi_sync_slave_enabled OFF -> ON`,
        `${standby} MASTER_HEARTBEAT_PERIOD 0 -> 1 s (replication restarted)`,
        `${primary} rpl_semi_sync_master_enabled OFF -> ON`,
      ]),
    );
    expect(status.replicaConfiguration.failures).toEqual([]);
    expect(events.events.filter((e) => e.type === 'db.replica-configured').map((e) => e.data.server)).toEqual(
      expect.arrayContaining([standby, primary]),
    );
    // As the servers themselves say, through the shipped monitor account's grants (no SUPER).
    await expectSettings(cluster.replicas[0], { readOnly: 1, slave: 1, period: 1, slaveActive: 'ON' });
    await startInstance(app, LOGIC_ID, 'semi-sync-write');
    await app.admin.poll(
      '/api/v1/failover/status',
      (s) => s.zeroLossGuard?.semiSync?.active === true && (s.warnings as string[]).length === 0,
    );
    const [monitorGrants] = await cluster.primary.query<Record<string, string>[]>(
      `SHOW GRANTS FOR '${DEPLOYMENT.monitor.user}'@'%'`,
    );
    expect(Object.values(monitorGrants)[0]).not.toMatch(/SUPER/);
  });

  it('moves the semi-sync roles with a switchover: the new primary gets the master role, the demoted one acknowledges', async () => {
    const target = serverKey(cluster.replicas[0].port);
    const oldPrimary = serverKey(cluster.primary.port);
    const answer = await app.admin.api('POST', '/api/v1/failover/switchover', { target });
    expect(answer.body).toMatchObject({ outcome: 'succeeded', newPrimary: target });
    await app.admin.poll('/api/v1/failover/status', (s) =>
      ((s.replicaConfiguration?.recentChanges ?? []) as { server: string; changes: string[] }[]).some(
        (c) => c.server === target && c.changes.includes('rpl_semi_sync_master_enabled OFF -> ON'),
      ),
    );
    await app.admin.poll('/api/v1/failover/status', (s) =>
      ((s.replicaConfiguration?.recentChanges ?? []) as { server: string; changes: string[] }[]).some(
        (c) => c.server === oldPrimary && c.changes.includes('rpl_semi_sync_slave_enabled OFF -> ON'),
      ),
    );
    await expectSettings(cluster.primary, { readOnly: 1, slave: 1, period: 1, slaveActive: 'ON' });
    expect(await retryWrite(app, 'after-switchover')).toBe(200);
    const [{ Value: masterStatus }] = await cluster.replicas[0].query<{ Value: string }[]>(
      "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status'",
    );
    expect(masterStatus).toBe('ON');
    await app.admin.poll('/api/v1/failover/status', (s) => s.zeroLossGuard?.semiSync?.active === true);
  });
});

async function expectSettings(
  server: MariaDbServer,
  expected: { readOnly: number; slave: number; period: number; slaveActive: string },
): Promise<void> {
  const deadline = Date.now() + 15_000;
  let seen: unknown;
  while (Date.now() < deadline) {
    const [globals] = await server.query<{ readOnly: number; slave: number }[]>(
      'SELECT @@global.read_only AS readOnly, @@global.rpl_semi_sync_slave_enabled AS slave',
    );
    const [status] = await server.query<{ Slave_heartbeat_period: string }[]>('SHOW ALL SLAVES STATUS');
    const [{ Value: slaveActive }] = await server.query<{ Value: string }[]>(
      "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_slave_status'",
    );
    seen = { ...globals, period: Number(status?.Slave_heartbeat_period), slaveActive };
    if (
      JSON.stringify(seen) ===
      JSON.stringify({
        readOnly: expected.readOnly,
        slave: expected.slave,
        period: expected.period,
        slaveActive: expected.slaveActive,
      })
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(seen).toEqual(expected);
}

async function acknowledgedWrite(app: ListeningApp, bizId: string): Promise<string> {
  expect(await startInstance(app, LOGIC_ID, bizId)).toBe(200);
  return bizId;
}

/** One write, retried while the app answers 503 (its pool moving to another primary). */
async function retryWrite(app: ListeningApp, bizId: string): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await startInstance(app, LOGIC_ID, bizId);
    if (status !== 503 || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function waitForPosition(replica: MariaDbServer, primary: MariaDbServer): Promise<void> {
  const [{ position }] = await primary.query<{ position: string }[]>('SELECT @@global.gtid_binlog_pos AS position');
  const [{ result }] = await replica.query<{ result: number }[]>('SELECT MASTER_GTID_WAIT(?, 30) AS result', [
    position,
  ]);
  expect(result).toBe(0);
}
