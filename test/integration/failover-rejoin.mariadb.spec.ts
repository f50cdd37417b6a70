import { type MariaDbServer, waitForReplicaCaughtUp } from '../support/mariadb';
import {
  ADMIN_TOKEN,
  type FailoverWorld,
  bizIdsOn,
  serverKey,
  startInstance,
  startListeningApp,
  useFailoverWorld,
} from '../support/failover-app';
import { startWriteLoad } from '../support/instance-writer';
import { openEventStream } from '../support/sse-client';

jest.setTimeout(180_000);

const LOGIC_ID = 'rejoin';

type Status = Record<string, any>;
const serverIn = (status: Status, key: string) => (status.servers ?? []).find((s: { key: string }) => s.key === key);

/** A few acknowledged writes, the standby caught up, then kill -9 of the primary and the failover awaited. */
async function failOverCleanly(world: FailoverWorld, prefix: string): Promise<void> {
  await world.app.admin.poll(
    '/api/v1/failover/status',
    (s) => serverIn(s, standbyKey(world))?.replication?.ioThread === 'Yes',
  );
  for (let i = 0; i < 5; i++) expect(await startInstance(world.app, LOGIC_ID, `${prefix}${i}`)).toBe(200);
  // Nothing in flight at the kill: the old primary holds no transaction the standby lacks.
  await waitForReplicaCaughtUp(world.cluster.primary, world.cluster.replicas[0]);
  await world.cluster.primary.kill();
  await world.app.admin.poll(
    '/api/v1/failover/status',
    (s) => s.epoch === 1 && s.primary === standbyKey(world) && !s.switching,
  );
}

const primaryKey = (world: FailoverWorld) => serverKey(world.cluster.primary.port);
const standbyKey = (world: FailoverWorld) => serverKey(world.cluster.replicas[0].port);

async function readOnlyOf(server: MariaDbServer): Promise<number> {
  const [{ r }] = await server.query<{ r: number }[]>('SELECT @@global.read_only AS r');
  return Number(r);
}

/** A backup through the API, waited for; its id. */
async function takeBackup(world: FailoverWorld, type: 'full' | 'incremental'): Promise<string> {
  const backup = await world.app.admin.api('POST', '/api/v1/backups', { type });
  expect(backup.status).toBe(202);
  await world.app.admin.poll(`/api/v1/backups/${backup.body.id}`, (b) => b.state !== 'running', 60_000);
  expect((await world.app.admin.api('GET', `/api/v1/backups/${backup.body.id}`)).body.state).toBe('succeeded');
  return backup.body.id as string;
}

/** Until `check` holds (replication is asynchronous to the test). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('rejoin of a clean old primary (real MariaDB, semi-sync pair)', () => {
  // A shared 2-core machine under load can take over a second to accept a connection: the
  // monitor's admin statements get 3 s (a killed server still refuses at once).
  const world = useFailoverWorld({ replicas: 1, serverIdBase: 70, env: { HEARTBEAT_TIMEOUT_MS: '3000' } });

  it('fails over after kill -9 with nothing in flight', async () => {
    await failOverCleanly(world, 'clean-');
    expect(world.dataDir.topology()).toMatchObject({ epoch: 1, fenced: [primaryKey(world)] });
  });

  it('rejoins the old primary as a read-only standby of the new primary when it comes back', async () => {
    const events = await openEventStream(`${world.app.baseUrl}/api/v1/events`, ADMIN_TOKEN);
    await world.cluster.primary.restart();
    const rejoined = await events.waitFor('db.rejoined', 60_000);
    events.close();
    expect(rejoined.data).toMatchObject({
      server: primaryKey(world),
      primary: standbyKey(world),
      method: 'replication',
      epoch: 1,
    });
    expect(events.events.filter((e) => e.type === 'db.errant-transactions')).toEqual([]);
    expect(world.dataDir.topology()).toMatchObject({ epoch: 1, primary: standbyKey(world), fenced: [] });
    const status = await world.app.admin.poll(
      '/api/v1/failover/status',
      (s) => serverIn(s, primaryKey(world))?.replication?.ioThread === 'Yes',
    );
    expect(serverIn(status, primaryKey(world))).toMatchObject({
      role: 'standby',
      replication: { ioThread: 'Yes', sqlThread: 'Yes', heartbeatPeriodSeconds: 1.5 },
    });
    expect(await readOnlyOf(world.cluster.primary)).toBe(1);
    // It follows the new primary: a write through the API arrives on it.
    expect(await startInstance(world.app, LOGIC_ID, 'after-rejoin')).toBe(200);
    await eventually(async () => (await bizIdsOn(world.cluster.primary, LOGIC_ID)).has('after-rejoin'));
  });

  it('a second failover (kill -9 of the new primary) promotes the rejoined server, and no acknowledged write is lost', async () => {
    // The first failover's cooldown would block the second: an operator acknowledges it.
    expect((await world.app.admin.api('POST', '/api/v1/failover/ack', { note: 'rejoin test' })).status).toBe(200);
    const load = startWriteLoad(world.app.baseUrl, { writers: 3, logicId: LOGIC_ID, prefix: 'second-' });
    await eventually(async () => load.acknowledged.length > 5);
    const killedAt = Date.now();
    await world.cluster.replicas[0].kill();
    await load.firstAckAfter(killedAt, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await load.stop();
    // The record is written after the app is re-pointed: the first write may come before it.
    const status = await world.app.admin.poll('/api/v1/failover/status', (s) => s.lastChange?.epoch === 2);
    expect(status).toMatchObject({ epoch: 2, primary: primaryKey(world) });
    expect(status.lastChange).toMatchObject({ kind: 'failover', outcome: 'succeeded', newPrimary: primaryKey(world) });
    const onPromoted = await bizIdsOn(world.cluster.primary, LOGIC_ID);
    expect(load.acknowledged.filter((bizId) => !onPromoted.has(bizId))).toEqual([]);
    expect(onPromoted.has('after-rejoin')).toBe(true);
    expect(world.dataDir.topology()).toMatchObject({ epoch: 2, fenced: [standbyKey(world)] });
  });
});

describe('an old primary with an errant transaction stays fenced; reclone rejoins it (real MariaDB)', () => {
  // Automatic rejoin off at first, so the test writes the errant transaction before anyone looks.
  const world = useFailoverWorld({
    replicas: 1,
    serverIdBase: 75,
    env: { FAILOVER_AUTO_REJOIN: 'false', HEARTBEAT_TIMEOUT_MS: '3000' },
  });

  it('fails over after kill -9 with nothing in flight', async () => {
    await failOverCleanly(world, 'errant-');
  });

  it('answers bad input to the rejoin route with a 4xx naming the field or the server, and changes nothing', async () => {
    const before = world.dataDir.topology();
    const post = (path: string, body?: unknown) => world.app.admin.api('POST', `/api/v1/failover/rejoin/${path}`, body);
    const notHostPort = await post('not-a-server', {});
    expect(notHostPort.status).toBe(400);
    expect(JSON.stringify(notHostPort.body.details)).toContain('server');
    const badReclone = await post(primaryKey(world), { reclone: 'yes' });
    expect(badReclone.status).toBe(400);
    expect(badReclone.body.details).toEqual([expect.objectContaining({ field: 'reclone' })]);
    const unknownField = await post(primaryKey(world), { force: true });
    expect(unknownField.status).toBe(400);
    expect(JSON.stringify(unknownField.body.details)).toContain('force');
    const unknownServer = await post('127.0.0.1:1', {});
    expect(unknownServer.status).toBe(404);
    expect(unknownServer.body.message).toContain('127.0.0.1:1');
    for (const key of [standbyKey(world)]) {
      const notFenced = await post(key, { reclone: true });
      expect(notFenced.status).toBe(409);
      expect(notFenced.body).toMatchObject({ code: 'REJOIN_NOT_FENCED', details: { server: key, role: 'primary' } });
    }
    expect((await world.app.admin.api('GET', '/api/v1/failover/rejoin/jobs/nope')).status).toBe(400);
    expect((await world.app.admin.api('GET', '/api/v1/failover/rejoin/jobs/reclone-1795745400000')).status).toBe(404);
    const anonymous = await fetch(`${world.app.baseUrl}/api/v1/failover/rejoin/${primaryKey(world)}`, {
      method: 'POST',
    });
    expect(anonymous.status).toBe(401);
    // The old primary is down: a rejoin now fails with 503 (try again later), and it stays fenced.
    const down = await post(primaryKey(world), {});
    expect(down.status).toBe(503);
    expect(down.body.code).toBe('REJOIN_UNAVAILABLE');
    expect(world.dataDir.topology()).toMatchObject({
      epoch: before.epoch,
      primary: before.primary,
      fenced: before.fenced,
    });
  });

  it('names the errant GTID and the table it touched, in the 409, the status and the event, and keeps it fenced', async () => {
    await world.cluster.primary.restart();
    await world.app.admin.poll('/api/v1/failover/status', (s) => serverIn(s, primaryKey(world))?.readOnly === true);
    // Written directly to the old primary as root (read_only does not stop it), binlogged: an errant transaction.
    await world.cluster.primary.query(
      "UPDATE logic_ha.logic_instance SET message = 'errant' WHERE bizId IN ('errant-1', 'errant-2')",
    );
    const [{ errantGtid }] = await world.cluster.primary.query<{ errantGtid: string }[]>(
      'SELECT @@global.gtid_binlog_pos AS errantGtid',
    );
    expect(errantGtid).toMatch(/^0-75-\d+$/);

    const events = await openEventStream(`${world.app.baseUrl}/api/v1/events`, ADMIN_TOKEN);
    const refused = await world.app.admin.api('POST', `/api/v1/failover/rejoin/${primaryKey(world)}`, {
      reclone: false,
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      code: 'REJOIN_ERRANT_TRANSACTIONS',
      details: {
        server: primaryKey(world),
        errantGtids: errantGtid,
        changes: [{ gtid: errantGtid, table: 'logic_ha.logic_instance', operation: 'UPDATE', rows: 2 }],
      },
    });
    const event = await events.waitFor('db.errant-transactions', 10_000);
    events.close();
    expect(event.data).toMatchObject({
      server: primaryKey(world),
      errantGtids: errantGtid,
      changes: refused.body.details.changes,
    });
    const status = (await world.app.admin.api('GET', '/api/v1/failover/status')).body;
    expect(serverIn(status, primaryKey(world))).toMatchObject({
      role: 'fenced',
      readOnly: true,
      rejoin: { state: 'errant', errant: { errantGtids: errantGtid, changes: refused.body.details.changes } },
    });
    expect(world.dataDir.topology().fenced).toEqual([primaryKey(world)]);
  });

  it('with automatic rejoin on, a restarted logic-ha finds the errant transaction itself and leaves the server fenced', async () => {
    await world.app.close();
    const events: { type: string }[] = [];
    world.app = await startListeningApp({
      ...world.cluster.env(),
      DATA_DIR: world.dataDir.path,
      HEARTBEAT_TIMEOUT_MS: '3000',
    });
    const stream = await openEventStream(`${world.app.baseUrl}/api/v1/events`, ADMIN_TOKEN);
    const status = await world.app.admin.poll(
      '/api/v1/failover/status',
      (s) => serverIn(s, primaryKey(world))?.rejoin?.state === 'errant',
    );
    expect(serverIn(status, primaryKey(world))).toMatchObject({ role: 'fenced', rejoin: { autoRejoin: true } });
    // A few more ticks: still fenced, and the discovery was reported once.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    events.push(...stream.events);
    stream.close();
    expect(events.filter((e) => e.type === 'db.rejoined')).toEqual([]);
    expect(world.dataDir.topology().fenced).toEqual([primaryKey(world)]);
    expect(world.app.test.logs.filter((line) => line.includes('holds errant transactions'))).toHaveLength(1);
  });

  it('reclone rebuilds it from the newest backup of the new primary and rejoins it as a standby', async () => {
    const primary = world.cluster.replicas[0];
    const old = world.cluster.primary;
    // With the grants docker/mariadb/users.sql ships (the cluster runs it), nothing added here.
    const full = await takeBackup(world, 'full');
    // Written between the backups: the restore replays it from the incremental's binlog, as the monitor.
    expect(await startInstance(world.app, LOGIC_ID, 'after-full')).toBe(200);
    const incremental = await takeBackup(world, 'incremental');
    // Written after the backups: replication from the chain's end position must bring it.
    expect(await startInstance(world.app, LOGIC_ID, 'after-backup')).toBe(200);

    const started = await world.app.admin.api('POST', `/api/v1/failover/rejoin/${primaryKey(world)}`, {
      reclone: true,
    });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ server: primaryKey(world), state: 'running' });
    const again = await world.app.admin.api('POST', `/api/v1/failover/rejoin/${primaryKey(world)}`, { reclone: true });
    expect([409]).toContain(again.status);
    const job = await world.app.admin.poll(
      `/api/v1/failover/rejoin/jobs/${started.body.id}`,
      (j) => j.state !== 'running',
      120_000,
    );
    expect(job).toMatchObject({ state: 'succeeded', error: null, outcome: { kind: 'rejoined', method: 'reclone' } });
    expect(job.outcome.detail).toContain(`backup chain ${full} + ${incremental}`);
    expect(world.dataDir.topology()).toMatchObject({ epoch: 1, primary: standbyKey(world), fenced: [] });
    const status = await world.app.admin.poll(
      '/api/v1/failover/status',
      (s) => serverIn(s, primaryKey(world))?.replication?.ioThread === 'Yes',
    );
    expect(serverIn(status, primaryKey(world))).toMatchObject({ role: 'standby', replication: { sqlThread: 'Yes' } });
    expect(await readOnlyOf(old)).toBe(1);
    // The errant change is gone; everything the primary holds is there, and new writes arrive.
    const [{ errant }] = await old.query<{ errant: number }[]>(
      "SELECT COUNT(*) AS errant FROM logic_ha.logic_instance WHERE message = 'errant'",
    );
    expect(Number(errant)).toBe(0);
    expect(await startInstance(world.app, LOGIC_ID, 'after-reclone')).toBe(200);
    await eventually(async () => (await bizIdsOn(old, LOGIC_ID)).has('after-reclone'));
    expect(await bizIdsOn(old, LOGIC_ID)).toEqual(await bizIdsOn(primary, LOGIC_ID));
  });
});
