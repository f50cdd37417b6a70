import { bizIdsOn, serverKey, startInstance, useFailoverWorld } from '../support/failover-app';
import { type MariaDbServer } from '../support/mariadb';
import { startWriteLoad } from '../support/instance-writer';

jest.setTimeout(120_000);

const LOGIC_ID = 'switchover';

async function replicationSourcePort(server: MariaDbServer): Promise<number | null> {
  const rows =
    await server.query<{ Master_Port: number; Slave_IO_Running: string; Slave_SQL_Running: string }[]>(
      'SHOW SLAVE STATUS',
    );
  return rows[0]?.Slave_IO_Running === 'Yes' && rows[0].Slave_SQL_Running === 'Yes' ? rows[0].Master_Port : null;
}

describe('planned switchover (real MariaDB, semi-sync pair)', () => {
  const world = useFailoverWorld({ replicas: 1, serverIdBase: 90, replicatingStandbys: 1 });

  it.each([
    [{ target: 'not-a-server' }, 400, 'VALIDATION_FAILED'],
    [{ target: '10.1.2.3:3306' }, 404, 'FAILOVER_UNKNOWN_SERVER'],
    [{ extra: 1 }, 400, 'VALIDATION_FAILED'],
  ])('refuses %j with %i and changes nothing', async (body, status, code) => {
    const before = world.dataDir.topology();
    const response = await world.app.admin.api('POST', '/api/v1/failover/switchover', body);
    expect(response).toMatchObject({ status, body: { code } });
    expect(world.dataDir.topology()).toEqual(before);
  });

  it('refuses the primary as target', async () => {
    const response = await world.app.admin.api('POST', '/api/v1/failover/switchover', {
      target: serverKey(world.cluster.primary.port),
    });
    expect(response).toMatchObject({
      status: 409,
      body: { code: 'SWITCHOVER_REFUSED', message: expect.stringMatching(/is the primary, not a standby/) },
    });
  });

  it('moves the primary under write load without losing an acknowledged write; the old primary follows the new one', async () => {
    const [standby] = world.cluster.replicas;
    const load = startWriteLoad(world.app.baseUrl, { writers: 4, logicId: LOGIC_ID });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const response = await world.app.admin.api('POST', '/api/v1/failover/switchover', {});
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      kind: 'switchover',
      outcome: 'succeeded',
      oldPrimary: serverKey(world.cluster.primary.port),
      newPrimary: serverKey(standby.port),
      epoch: 1,
    });
    const switchedAt = Date.now();
    await load.firstAckAfter(switchedAt, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await load.stop();

    const onNew = await bizIdsOn(standby, LOGIC_ID);
    expect(load.acknowledged.filter((bizId) => !onNew.has(bizId))).toEqual([]);
    expect(await replicationSourcePort(world.cluster.primary)).toBe(standby.port);
    const [{ readOnly }] = await world.cluster.primary.query<{ readOnly: number }[]>(
      'SELECT @@global.read_only AS readOnly',
    );
    expect(readOnly).toBe(1);
    const [{ position }] = await standby.query<{ position: string }[]>('SELECT @@global.gtid_binlog_pos AS position');
    await world.cluster.primary.query('SELECT MASTER_GTID_WAIT(?, 10)', [position]);
    expect(await bizIdsOn(world.cluster.primary, LOGIC_ID)).toEqual(onNew);
    expect(await replicationSourcePort(world.cluster.primary)).toBe(standby.port);

    const status = await world.app.admin.poll(
      '/api/v1/failover/status',
      (s) =>
        s.servers?.find((x: any) => x.key === serverKey(world.cluster.primary.port))?.replication?.ioThread === 'Yes',
      10_000,
    );
    expect(status).toMatchObject({ epoch: 1, primary: serverKey(standby.port), cooldown: { active: false } });
    expect(status.servers.find((x: any) => x.key === serverKey(world.cluster.primary.port)).role).toBe('standby');
  });

  it('switches back', async () => {
    const response = await world.app.admin.api('POST', '/api/v1/failover/switchover', {
      target: serverKey(world.cluster.primary.port),
    });
    expect(response.body).toMatchObject({
      outcome: 'succeeded',
      newPrimary: serverKey(world.cluster.primary.port),
      epoch: 2,
    });
    expect(await replicationSourcePort(world.cluster.replicas[0])).toBe(world.cluster.primary.port);
    expect(await startInstance(world.app, LOGIC_ID, 'back-home')).toBe(200);
    expect((await bizIdsOn(world.cluster.primary, LOGIC_ID)).has('back-home')).toBe(true);
    expect(world.dataDir.topology().history.map((h) => h.kind)).toEqual(['switchover', 'switchover']);
  });
});

/**
 * A primary that hangs (SIGSTOP) for longer than the window: its standby's IO thread still
 * says "Yes", so only the standby's silence confirms the death.
 */
describe('failover of a hung primary (real MariaDB, SIGSTOP past the window)', () => {
  // stop() wakes the paused primary before it shuts it down.
  const world = useFailoverWorld({ replicas: 1, serverIdBase: 110, replicatingStandbys: 1 });

  it('fails over once the standby has heard nothing for the window; writes stuck on the hung server are answered, not left hanging', async () => {
    const load = startWriteLoad(world.app.baseUrl, { writers: 2, logicId: LOGIC_ID });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const pausedAt = Date.now();
    world.cluster.primary.pause();
    const status = await world.app.admin.poll('/api/v1/failover/status', (s) => s.epoch === 1 && !s.switching, 20_000);
    expect(status.primary).toBe(serverKey(world.cluster.replicas[0].port));
    expect(status.lastChange.reason).toMatch(/nothing from the primary for \d+ ms/);
    await load.firstAckAfter(pausedAt, 10_000);
    await load.stop();
    // Every request got an answer (503 while stuck, then success); none ran into the client's 10 s timeout.
    expect(load.failures.get(0) ?? 0).toBe(0);
    const onNew = await bizIdsOn(world.cluster.replicas[0], LOGIC_ID);
    expect(load.acknowledged.filter((bizId) => !onNew.has(bizId))).toEqual([]);
  });
});
