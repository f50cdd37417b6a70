import { ADMIN_TOKEN, serverKey, startInstance, useFailoverWorld } from '../support/failover-app';
import { startWriteLoad } from '../support/instance-writer';
import { openEventStream } from '../support/sse-client';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What must NOT cause a failover, with default detection settings (1 s heartbeat, 3 misses). */
describe('no failover without a confirmed death (real MariaDB)', () => {
  // The app and its monitor reach the primary through a proxy; the standby replicates directly.
  const world = useFailoverWorld({ replicas: 1, serverIdBase: 70, viaProxy: true, replicatingStandbys: 1 });

  it('a primary stalled (SIGSTOP) for less than the detection window is not failed over', async () => {
    world.cluster.primary.pause();
    await sleep(1500);
    world.cluster.primary.resume();
    await sleep(4000);
    const status = (await world.app.admin.api('GET', '/api/v1/failover/status')).body;
    expect(status).toMatchObject({ epoch: 0, primary: serverKey(world.proxy!.port), lastChange: null });
    expect(status.detection.verdict).toBe('healthy');
    expect(await startInstance(world.app, 'guards', 'after-stall')).toBe(200);
  });

  it('the monitor cut from the primary while the standby still replicates: suspect, never a failover', async () => {
    const events = await openEventStream(`${world.app.baseUrl}/api/v1/events`, ADMIN_TOKEN);
    // Writes keep reaching the primary directly, so the standby keeps hearing it.
    const direct = setInterval(
      () =>
        void world.cluster.primary
          .query("INSERT INTO logic_ha.logic (id, name) VALUES (UUID(), 'direct')")
          .catch(() => undefined),
      200,
    );
    world.proxy!.cut();
    try {
      const suspect = await events.waitFor('db.primary-suspect', 15_000);
      expect(suspect.data).toMatchObject({
        primary: serverKey(world.proxy!.port),
        epoch: 0,
        seenBy: [serverKey(world.cluster.replicas[0].port)],
      });
      expect(suspect.data.reason).toMatch(/monitor-side partition/);
      await sleep(4000);
      const status = (await world.app.admin.api('GET', '/api/v1/failover/status')).body;
      expect(status).toMatchObject({ epoch: 0, lastChange: null });
      expect(status.detection.verdict).toBe('partitioned');
      expect(status.detection.misses).toBeGreaterThanOrEqual(3);
      expect(events.events.some((e) => e.type === 'db.failover-started')).toBe(false);
      const [{ readOnly }] = await world.cluster.replicas[0].query<{ readOnly: number }[]>(
        'SELECT @@global.read_only AS readOnly',
      );
      expect(readOnly).toBe(1);
    } finally {
      clearInterval(direct);
      world.proxy!.heal();
      events.close();
    }
    await world.app.admin.poll('/api/v1/failover/status', (s) => s.detection.verdict === 'healthy', 15_000);
    const load = startWriteLoad(world.app.baseUrl, { writers: 1, logicId: 'guards', prefix: 'healed-' });
    await load.firstAckAfter(Date.now(), 15_000);
    await load.stop();
  });

  it('bad input to the control routes changes nothing in the topology file', async () => {
    const before = world.dataDir.topology();
    for (const body of [{ enabled: 'yes' }, {}, { enabled: true, reason: 'x'.repeat(201) }]) {
      expect((await world.app.admin.api('PUT', '/api/v1/failover/maintenance', body)).status).toBe(400);
    }
    expect((await world.app.admin.api('POST', '/api/v1/failover/ack', { note: 7 })).status).toBe(400);
    expect(world.dataDir.topology()).toEqual(before);
  });

  it('maintenance mode suspends automatic failover and shows in status', async () => {
    const on = await world.app.admin.api('PUT', '/api/v1/failover/maintenance', {
      enabled: true,
      reason: 'kernel upgrade',
    });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ maintenance: true, maintenanceReason: 'kernel upgrade' });
    expect((await world.app.admin.api('GET', '/api/v1/failover/status')).body.maintenance).toEqual({
      enabled: true,
      reason: 'kernel upgrade',
    });
    await world.cluster.primary.kill();
    const blocked = await world.app.admin.poll(
      '/api/v1/failover/status',
      (s) => s.detection.verdict === 'dead',
      15_000,
    );
    expect(blocked.detection.blockedReason).toMatch(/maintenance mode \(kernel upgrade\)/);
    await sleep(2000);
    expect((await world.app.admin.api('GET', '/api/v1/failover/status')).body).toMatchObject({
      epoch: 0,
      lastChange: null,
    });
    expect(world.dataDir.topology().control).toMatchObject({ maintenance: true });
    // Leaving maintenance lets the confirmed death be acted on.
    await world.app.admin.api('PUT', '/api/v1/failover/maintenance', { enabled: false });
    const after = await world.app.admin.poll('/api/v1/failover/status', (s) => s.epoch === 1, 15_000);
    expect(after.primary).toBe(serverKey(world.cluster.replicas[0].port));
  });
});

describe('cooldown after a failover (real MariaDB, primary + two standbys)', () => {
  const world = useFailoverWorld({ replicas: 2, serverIdBase: 80, replicatingStandbys: 2 });

  it('fails over once, re-points the other standby, then blocks a second failover until acknowledged', async () => {
    const [first, second] = world.cluster.replicas;
    const load = startWriteLoad(world.app.baseUrl, { writers: 2, logicId: 'cooldown' });
    await sleep(500);
    await world.cluster.primary.kill();
    const afterFirst = await world.app.admin.poll(
      '/api/v1/failover/status',
      (s) => s.epoch === 1 && !s.switching,
      20_000,
    );
    expect(afterFirst.primary).toBe(serverKey(first.port));
    expect(afterFirst.lastChange.steps.find((step: any) => step.name === 'repoint-standbys').detail).toBe(
      `${serverKey(second.port)} replicates from ${serverKey(first.port)}`,
    );
    await load.firstAckAfter(Date.now(), 10_000);
    await sleep(300);
    await load.stop();
    // The second standby now follows the first: it has every acknowledged write.
    // Warnings settle too: the new primary becomes a semi-sync master at the replica
    // configuration pass that follows a standby replicating from it.
    const following = await world.app.admin.poll(
      '/api/v1/failover/status',
      (s) =>
        s.servers.find((x: any) => x.key === serverKey(second.port))?.replication?.ioThread === 'Yes' &&
        s.warnings.length === 0,
      20_000,
    );
    // CHANGE MASTER to a new host resets the heartbeat period to 30 s unless it is set again.
    expect(
      following.servers.find((x: any) => x.key === serverKey(second.port)).replication.heartbeatPeriodSeconds,
    ).toBe(1);
    expect(following.warnings).toEqual([]);
    const [{ position }] = await first.query<{ position: string }[]>('SELECT @@global.gtid_binlog_pos AS position');
    await second.query('SELECT MASTER_GTID_WAIT(?, 10)', [position]);
    const rows = await second.query<{ bizId: string }[]>(
      "SELECT bizId FROM logic_ha.logic_instance WHERE logicId = 'cooldown'",
    );
    const onSecond = new Set(rows.map((row) => row.bizId));
    expect(load.acknowledged.filter((bizId) => !onSecond.has(bizId))).toEqual([]);

    await first.kill();
    const blocked = await world.app.admin.poll(
      '/api/v1/failover/status',
      (s) => s.detection.verdict === 'dead',
      15_000,
    );
    expect(blocked.detection.blockedReason).toMatch(/cooldown after the last change until/);
    expect(blocked.cooldown).toMatchObject({ active: true, acknowledged: false });
    await sleep(2000);
    expect((await world.app.admin.api('GET', '/api/v1/failover/status')).body.epoch).toBe(1);

    const ack = await world.app.admin.api('POST', '/api/v1/failover/ack', { note: 'checked first standby' });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ acknowledged: true, disabledReason: null });
    const afterSecond = await world.app.admin.poll(
      '/api/v1/failover/status',
      (s) => s.epoch === 2 && !s.switching,
      20_000,
    );
    expect(afterSecond.primary).toBe(serverKey(second.port));
    expect(
      afterSecond.servers
        .filter((s: any) => s.role === 'fenced')
        .map((s: any) => s.key)
        .sort(),
    ).toEqual([serverKey(world.cluster.primary.port), serverKey(first.port)].sort());
    expect(await startInstance(world.app, 'guards', 'after-second')).toBe(200);
    const [row] = await second.query<{ n: number }[]>(
      "SELECT COUNT(*) AS n FROM logic_ha.logic_instance WHERE bizId = 'after-second'",
    );
    expect(Number(row.n)).toBe(1);
  });
});
