import request from 'supertest';
import { MIGRATIONS } from '../../migrations';
import { MariaDbServer } from '../support/mariadb';
import { type TestApp, startTestApp } from '../support/test-app';

const ADMIN_TOKEN = 'mariadb-e2e-admin-token';

function urlOf(e: { user: string; password: string; host: string; port: number; database: string }) {
  return `mysql://${e.user}:${encodeURIComponent(e.password)}@${e.host}:${e.port}/${e.database}`;
}

describe('logic-ha on a private MariaDB', () => {
  let server: MariaDbServer;
  let t: TestApp;
  const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

  beforeAll(async () => {
    server = await MariaDbServer.start({ serverId: 31 });
    const endpoint = await server.createDatabaseWithUser('logic_ha', 'app', 'app p@ss');
    t = await startTestApp({
      DB_TYPE: 'mysql',
      DB_PRIMARY_URL: urlOf(endpoint),
      ADMIN_TOKEN,
      HEALTH_CHECK_TIMEOUT_MS: '1000',
      DB_CONNECT_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    await t?.close();
    await server?.stop();
  });

  it('applies the schema history on start with the non-admin app account', async () => {
    const response = await request(t.server).get('/api/v1/system').set(auth).expect(200);
    expect(response.body.database).toEqual({
      type: 'mysql',
      schema: { applied: MIGRATIONS.map((m) => m.name), pending: [], logicSolutionVersion: '0.8' },
    });
    const tables = await server.query<{ name: string }[]>(
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'logic_ha' ORDER BY TABLE_NAME",
    );
    expect(tables.map((row) => row.name)).toEqual([
      'logic',
      'logic_bak',
      'logic_ha_backup',
      'logic_ha_epoch',
      'logic_ha_failover',
      'logic_ha_migrations',
      'logic_ha_schema_history',
      'logic_ha_webhook_delivery',
      'logic_ha_webhook_endpoint',
      'logic_instance',
      'logic_log',
      'logic_published',
    ]);
    const history = await server.query<{ migration: string; action: string; checksum: string }[]>(
      'SELECT migration, action, checksum FROM logic_ha.logic_ha_schema_history ORDER BY id',
    );
    // MariaDB commits DDL as it goes: each migration is recorded as started, then as applied.
    expect(history).toEqual(
      MIGRATIONS.flatMap((m) =>
        ['started', 'applied'].map((action) => ({
          migration: m.name,
          action,
          checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
        })),
      ),
    );
  });

  it('serves the instance lifecycle and queries over HTTP', async () => {
    await request(t.server).post('/api/v1/instances/start').send({ logicId: 'm-logic', bizId: 'm-biz' }).expect(200);
    await request(t.server)
      .post('/api/v1/instances/stop')
      .send({ logicId: 'm-logic', bizId: 'm-biz', success: false, isOver: false, message: 'x'.repeat(400) })
      .expect(200);
    const latest = await request(t.server).get('/api/v1/instances/m-logic/m-biz').set(auth).expect(200);
    expect(latest.body).toMatchObject({ isRunning: false, isOver: false, success: false, message: 'x'.repeat(255) });
    const uncompleted = await request(t.server)
      .get('/api/v1/instances/uncompleted?isSuccess=false')
      .set(auth)
      .expect(200);
    expect(uncompleted.body.items.map((i: { bizId: string }) => i.bizId)).toEqual(['m-biz']);
    const rows = await server.query<{ n: number }[]>(
      "SELECT COUNT(*) AS n FROM logic_ha.logic_instance WHERE bizId = 'm-biz'",
    );
    expect(Number(rows[0].n)).toBe(1);
  });

  it('is ready while MariaDB answers', async () => {
    const response = await request(t.server).get('/health/ready');
    expect({ status: response.status, body: response.body }).toMatchObject({
      status: 200,
      body: { info: { database: { status: 'up' } } },
    });
  });

  it('reports not ready (503) once MariaDB is killed, and stays live', async () => {
    await server.kill();
    const response = await request(t.server).get('/health/ready').expect(503);
    expect(response.body).toMatchObject({ code: 'NOT_READY', details: { error: { database: { status: 'down' } } } });
    await request(t.server).get('/health/live').expect(200);
  });
});

describe('logic-ha against a MariaDB that refuses it', () => {
  let server: MariaDbServer;
  beforeAll(async () => {
    server = await MariaDbServer.start({ serverId: 32 });
    await server.createDatabaseWithUser('logic_ha', 'app', 'right-password');
  });
  afterAll(() => server?.stop());

  it('fails to start with the database error, not a hang', async () => {
    const url = `mysql://app:wrong-password@127.0.0.1:${server.port}/logic_ha`;
    await expect(startTestApp({ DB_TYPE: 'mysql', DB_PRIMARY_URL: url, ADMIN_TOKEN })).rejects.toThrow(/Access denied/);
  });
});
