import request from 'supertest';
import { DataSource } from 'typeorm';
import { ConfigStoreService } from '../../src/config-store/config-store.service';
import { type TestApp, startTestApp } from '../support/test-app';

const ADMIN = 'configs-e2e-admin-token';
const admin = { Authorization: `Bearer ${ADMIN}` };
const QUIET = { INSTANCE_LONG_RUNNING_CRON: 'off', INSTANCE_RETRY_CRON: 'off', INSTANCE_CLEANUP_CRON: 'off' };
const CONFIG = { name: 'Order flow', version: '2', nodes: [{ id: 'start' }], visualConfig: { zoom: 2 } };

describe('two logic-ha nodes: A publishes and hosts, B reads through A', () => {
  let a: TestApp;
  let b: TestApp;
  let aUrl: string;

  beforeAll(async () => {
    a = await startTestApp({ ADMIN_TOKEN: ADMIN, ...QUIET });
    await a.app.listen({ host: '127.0.0.1', port: 0 });
    aUrl = (await a.app.getUrl()).replace('[::1]', '127.0.0.1');
    b = await startTestApp({
      ADMIN_TOKEN: ADMIN,
      CONFIG_HOST_URL: aUrl,
      CONFIG_HOST_TIMEOUT_MS: '500',
      CONFIG_HOST_BREAKER_HALF_OPEN_MS: '200',
      ...QUIET,
    });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('publishes on A: logic, logic_bak and logic_published in one go', async () => {
    const published = await request(a.server)
      .post('/api/v1/configs/order-flow/publish')
      .set(admin)
      .send({ version: '2', name: 'Order flow', module: 'orders', config: CONFIG })
      .expect(201);
    expect(published.body).toMatchObject({ logicId: 'order-flow', version: '2' });
    const db = a.app.get(DataSource);
    expect(await db.query("SELECT id, version, module FROM logic WHERE id = 'order-flow'")).toEqual([
      { id: 'order-flow', version: '2', module: 'orders' },
    ]);
    expect(await db.query("SELECT id, version FROM logic_bak WHERE id = 'order-flow'")).toEqual([
      { id: 'order-flow', version: '2' },
    ]);
    expect(await db.query('SELECT logicId, version, source FROM logic_published')).toEqual([
      { logicId: 'order-flow', version: '2', source: 'logic-ha' },
    ]);
  });

  it('serves the compatible host API on A, byte for byte what was published', async () => {
    const latest = await request(a.server).get('/api/ide/logic/order-flow/config').expect(200);
    expect(latest.headers['content-type']).toMatch(/application\/json/);
    expect(latest.text).toBe(`{"data":${JSON.stringify(CONFIG)}}`);
    const version = await request(a.server).get('/api/ide/logic/order-flow/config/2').expect(200);
    expect(version.body).toEqual({ data: CONFIG });
    const missing = await request(a.server).get('/api/ide/logic/no-such-logic/config').expect(200);
    expect(missing.body).toEqual({ data: null });
  });

  it('reads on B through A, normalised, then from cache', async () => {
    const first = await request(b.server).get('/api/v1/configs/order-flow').expect(200);
    expect(first.body).toMatchObject({
      logicId: 'order-flow',
      version: '2',
      source: 'host',
      stale: false,
      config: { name: 'Order flow', id: 'order-flow', nodes: [{ id: 'start' }] },
    });
    expect(first.body.config.visualConfig).toBeUndefined();
    expect((await request(b.server).get('/api/v1/configs/order-flow').expect(200)).body.source).toBe('cache');
  });

  it('A reads its own database as host (source db) and evicts on a new publish', async () => {
    expect((await request(a.server).get('/api/v1/configs/order-flow').expect(200)).body.source).toBe('db');
    expect((await request(a.server).get('/api/v1/configs/order-flow').expect(200)).body.source).toBe('cache');
    await request(a.server)
      .post('/api/v1/configs/order-flow/publish')
      .set(admin)
      .send({ version: '3', config: { ...CONFIG, version: '3' } })
      .expect(201);
    const fresh = await request(a.server).get('/api/v1/configs/order-flow').expect(200);
    expect(fresh.body).toMatchObject({ source: 'db', version: '3' });
  });

  // The config names no version of its own: the published one comes from the row.
  it('answers the published version of a config that names none, on A (db) and on B (through A)', async () => {
    const plain = { nodes: [{ id: 'start' }] };
    await request(a.server)
      .post('/api/v1/configs/plain-flow/publish')
      .set(admin)
      .send({ version: '1', config: plain })
      .expect(201);
    const onA = await request(a.server).get('/api/v1/configs/plain-flow').expect(200);
    expect(onA.body).toMatchObject({ source: 'db', version: '1', config: { ...plain, id: 'plain-flow' } });
    const onB = await request(b.server).get('/api/v1/configs/plain-flow').expect(200);
    expect(onB.body).toMatchObject({ source: 'host', version: '1', config: { ...plain, id: 'plain-flow' } });
    // The compatible route is logic-solution's host contract: the stored JSON as is (no id), the version in a header.
    const compatible = await request(a.server).get('/api/ide/logic/plain-flow/config').expect(200);
    expect(compatible.text).toBe(`{"data":${JSON.stringify(plain)}}`);
    expect(compatible.headers['x-logic-version']).toBe('1');
  });

  it('B falls back to its file, marked stale, when A stops answering', async () => {
    await request(b.server).delete('/api/v1/configs/cache').set(admin).expect(200);
    a.app.getHttpAdapter().getInstance().server.close();
    a.app.getHttpAdapter().getInstance().server.closeAllConnections();
    const answer = await request(b.server).get('/api/v1/configs/order-flow').expect(200);
    expect(answer.body).toMatchObject({ source: 'file', stale: true, version: '2' });
    const health = await request(b.server).get('/health/ready').expect(200);
    expect(health.body.info.configStore).toMatchObject({ status: 'up', reachable: false, host: aUrl });
  });
});

describe('config reads with RUNTIME_TOKEN set', () => {
  let t: TestApp;
  const runtime = 'configs-e2e-runtime-token';
  beforeAll(async () => {
    t = await startTestApp({ ADMIN_TOKEN: ADMIN, RUNTIME_TOKEN: runtime, ...QUIET });
  });
  afterAll(() => t?.close());

  it('refuses a cached read without the token, as the route does', async () => {
    await request(t.server)
      .put('/api/v1/configs/secret-flow/file')
      .set(admin)
      .send({ config: { a: 1 } })
      .expect(200);
    const auth = { Authorization: `Bearer ${runtime}` };
    await request(t.server).get('/api/v1/configs/secret-flow?mode=offline').set(auth).expect(200);
    expect(
      (await request(t.server).get('/api/v1/configs/secret-flow?mode=offline').set(auth).expect(200)).body.source,
    ).toBe('cache');
    const refused = await request(t.server).get('/api/v1/configs/secret-flow?mode=offline').expect(401);
    expect(refused.body.code).toBe('AUTHENTICATION_REQUIRED');
    await request(t.server)
      .get('/api/v1/configs/secret-flow?mode=offline')
      .set('Authorization', 'Bearer wrong')
      .expect(401);
  });
});

describe('config routes: bad input and admin operations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ADMIN_TOKEN: ADMIN, ...QUIET });
  });
  afterAll(() => t?.close());

  it.each([
    [
      'GET /api/v1/configs/..%2Fetc%2Fpasswd',
      () => request(t.server).get('/api/v1/configs/..%2Fetc%2Fpasswd'),
      'logicId',
    ],
    ['GET with a bad mode', () => request(t.server).get('/api/v1/configs/flow?mode=sideways'), 'mode'],
    ['GET with a bad version', () => request(t.server).get('/api/v1/configs/flow?version=..%2F1'), 'version'],
    ['GET with an unknown query field', () => request(t.server).get('/api/v1/configs/flow?fresh=1'), 'fresh'],
    ['host API with a traversal id', () => request(t.server).get('/api/ide/logic/..%2F..%2Fx/config'), 'id'],
    [
      'publish without config',
      () => request(t.server).post('/api/v1/configs/flow/publish').set(admin).send({ version: '1' }),
      'config',
    ],
    [
      'publish with a list as config',
      () =>
        request(t.server)
          .post('/api/v1/configs/flow/publish')
          .set(admin)
          .send({ version: '1', config: [1] }),
      'config',
    ],
    [
      'publish with a bad version',
      () => request(t.server).post('/api/v1/configs/flow/publish').set(admin).send({ version: '', config: {} }),
      'version',
    ],
    [
      'publish with an unknown field',
      () =>
        request(t.server)
          .post('/api/v1/configs/flow/publish')
          .set(admin)
          .send({ version: '1', config: {}, draft: true }),
      'draft',
    ],
    [
      'save file with a bad id',
      () => request(t.server).put('/api/v1/configs/.secret/file').set(admin).send({ config: {} }),
      'logicId',
    ],
    [
      'save file without config',
      () => request(t.server).put('/api/v1/configs/flow/file').set(admin).send({}),
      'config',
    ],
    ['evict a bad id', () => request(t.server).delete('/api/v1/configs/cache/a%00b').set(admin), 'logicId'],
  ])('%s is a 400 naming %s and changes nothing', async (_name, send, field) => {
    const response = await send().expect(400);
    expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
    expect((await request(t.server).get('/api/v1/configs/offline-ids').set(admin).expect(200)).body.ids).toEqual([]);
  });

  it('checks input even when the answer is cached (the cache-hit fast path falls through to the route)', async () => {
    await request(t.server)
      .put('/api/v1/configs/cached/file')
      .set(admin)
      .send({ config: { a: 1 } })
      .expect(200);
    expect((await request(t.server).get('/api/v1/configs/cached?mode=offline').expect(200)).body.source).toBe('file');
    expect((await request(t.server).get('/api/v1/configs/cached?mode=offline').expect(200)).body.source).toBe('cache');
    const unknown = await request(t.server).get('/api/v1/configs/cached?mode=offline&extra=1').expect(400);
    expect(unknown.body.details).toEqual([{ field: 'extra', problems: ['property extra should not exist'] }]);
    const hit = await request(t.server).get('/api/v1/configs/cached?mode=offline').expect(200);
    expect(hit.headers['x-request-id']).toBeDefined();
    await request(t.server).delete('/api/v1/configs/cache/cached').set(admin).expect(200);
  });

  it('admin routes need the admin token', async () => {
    await request(t.server).post('/api/v1/configs/flow/publish').send({ version: '1', config: {} }).expect(401);
    await request(t.server).get('/api/v1/configs/offline-ids').expect(401);
    await request(t.server).delete('/api/v1/configs/cache').expect(401);
  });

  it('404s a logic the database does not have, naming it', async () => {
    const response = await request(t.server).get('/api/v1/configs/unknown-flow').expect(404);
    expect(response.body).toMatchObject({ code: 'CONFIG_NOT_FOUND', message: expect.stringContaining('unknown-flow') });
  });

  it('saves a file, lists it as offline id, reads it offline, evicts, and reports stats', async () => {
    const statsBefore = (await request(t.server).get('/api/v1/configs/cache/stats').set(admin).expect(200)).body;
    await request(t.server)
      .put('/api/v1/configs/flow/file')
      .set(admin)
      .send({ version: '1', config: { a: 1 } })
      .expect(200);
    expect((await request(t.server).get('/api/v1/configs/offline-ids').set(admin).expect(200)).body.ids).toContain(
      'flow',
    );
    const offline = await request(t.server).get('/api/v1/configs/flow?mode=offline').expect(200);
    expect(offline.body).toMatchObject({ source: 'file', stale: false, version: '1', config: { a: 1, id: 'flow' } });
    expect((await request(t.server).get('/api/v1/configs/flow?mode=offline').expect(200)).body.source).toBe('cache');
    const evicted = await request(t.server).delete('/api/v1/configs/cache/flow').set(admin).expect(200);
    expect(evicted.body.evictedKeys).toContain('flow-offline');
    expect((await request(t.server).get('/api/v1/configs/flow?mode=offline').expect(200)).body.source).toBe('file');
    const stats = await request(t.server).get('/api/v1/configs/cache/stats').set(admin).expect(200);
    expect(stats.body).toMatchObject({ store: 'memory', entries: 1, maxEntries: 10000, hits: statsBefore.hits + 1 });
  });

  // Both answer `source: cache`; only the Nest route calls readLogicConfig, so the spy tells them apart.
  it('answers a cache hit on the Fastify fast path, without the Nest route', async () => {
    await request(t.server)
      .put('/api/v1/configs/fast-flow/file')
      .set(admin)
      .send({ config: { a: 1 } })
      .expect(200);
    await request(t.server).get('/api/v1/configs/fast-flow?mode=offline').expect(200);
    const route = jest.spyOn(t.app.get(ConfigStoreService), 'readLogicConfig');
    try {
      const hit = await request(t.server).get('/api/v1/configs/fast-flow?mode=offline').expect(200);
      expect(hit.body).toMatchObject({ source: 'cache', config: { a: 1, id: 'fast-flow' } });
      expect(route).not.toHaveBeenCalled();
      // The spy does see the route: a miss goes there.
      await request(t.server).delete('/api/v1/configs/cache/fast-flow').set(admin).expect(200);
      expect((await request(t.server).get('/api/v1/configs/fast-flow?mode=offline').expect(200)).body.source).toBe(
        'file',
      );
      expect(route).toHaveBeenCalledTimes(1);
    } finally {
      route.mockRestore();
      await request(t.server).delete('/api/v1/configs/cache/fast-flow').set(admin).expect(200);
    }
  });
});
