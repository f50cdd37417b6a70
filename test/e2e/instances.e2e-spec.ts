import request from 'supertest';
import { type TestApp, startTestApp } from '../support/test-app';

const ADMIN = 'instances-e2e-admin-token';
const admin = { Authorization: `Bearer ${ADMIN}` };

describe('instance routes (SQLite, runtime routes open on loopback)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      ADMIN_TOKEN: ADMIN,
      INSTANCE_LONG_RUNNING_CRON: 'off',
      INSTANCE_RETRY_CRON: 'off',
      INSTANCE_CLEANUP_CRON: 'off',
    });
  });
  afterAll(() => t?.close());

  const start = (body: object) => request(t.server).post('/api/v1/instances/start').send(body);
  const stop = (body: object) => request(t.server).post('/api/v1/instances/stop').send(body);
  const latest = (logicId: string, bizId: string) =>
    request(t.server)
      .get(`/api/v1/instances/${encodeURIComponent(logicId)}/${encodeURIComponent(bizId)}`)
      .set(admin);

  it('runs a lifecycle end to end: start, next, stop, read back', async () => {
    const started = await start({
      logicId: 'order-flow',
      bizId: 'order-1',
      version: '3',
      paramsJson: '{"amount":5}',
    }).expect(200);
    expect(started.body).toMatchObject({
      logicId: 'order-flow',
      bizId: 'order-1',
      isRunning: true,
      isOver: false,
      retryTimes: 0,
    });
    await request(t.server)
      .put('/api/v1/instances/order-flow/order-1/next')
      .send({ nextId: 'approve', nextName: 'Approve', varsJsonEnd: '{"ok":true}' })
      .expect(200, { updated: 1 });
    const stopped = await stop({
      logicId: 'order-flow',
      bizId: 'order-1',
      success: true,
      isOver: true,
      returnData: '{"done":1}',
    }).expect(200);
    expect(stopped.body).toMatchObject({
      isRunning: false,
      isOver: true,
      success: true,
      nextId: 'approve',
      returnData: '{"done":1}',
    });
    expect(typeof stopped.body.duration).toBe('number');
    const read = await latest('order-flow', 'order-1').expect(200);
    expect(read.body).toMatchObject({ id: started.body.id, isOver: true, nextName: 'Approve' });
  });

  it('stores quotes and SQL fragments verbatim', async () => {
    const nasty = {
      logicId: `l'";DROP TABLE logic;--`,
      bizId: `b' OR '1'='1`,
      paramsJson: `{"sql":"'); DELETE FROM logic_instance; --"}`,
    };
    await start(nasty).expect(200);
    const read = await latest(nasty.logicId, nasty.bizId).expect(200);
    expect(read.body).toMatchObject(nasty);
  });

  describe('bad input on the runtime routes: 400 naming the field, nothing written', () => {
    it.each<[string, object, string]>([
      ['missing logicId', { bizId: 'b' }, 'logicId'],
      ['over-long logicId', { logicId: 'x'.repeat(37), bizId: 'b' }, 'logicId'],
      ['empty bizId', { logicId: 'l', bizId: '' }, 'bizId'],
      ['over-long version', { logicId: 'l', bizId: 'b', version: 'v'.repeat(51) }, 'version'],
      ['over-long env', { logicId: 'l', bizId: 'b', env: 'e'.repeat(11) }, 'env'],
      ['non-string paramsJson', { logicId: 'l', bizId: 'b', paramsJson: { a: 1 } }, 'paramsJson'],
      ['unknown field', { logicId: 'l', bizId: 'b', colour: 'red' }, 'colour'],
    ])('start with %s', async (_name, body, field) => {
      const response = await start(body).expect(400);
      expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
      await latest('l', 'b').expect(404);
    });

    it.each<[string, object, string]>([
      ['missing success', { logicId: 'l', bizId: 'b', isOver: true }, 'success'],
      ['string isOver', { logicId: 'l', bizId: 'b', success: true, isOver: 'yes' }, 'isOver'],
      [
        'over-long nextId',
        { logicId: 'l', bizId: 'b', success: true, isOver: false, nextId: 'n'.repeat(37) },
        'nextId',
      ],
    ])('stop with %s', async (_name, body, field) => {
      const response = await stop(body).expect(400);
      expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it('stop of an unknown pair is 404', async () => {
      const response = await stop({ logicId: 'l', bizId: 'unknown', success: true, isOver: true }).expect(404);
      expect(response.body.code).toBe('INSTANCE_NOT_FOUND');
    });

    it('next: unknown pair 404, over-long path id 400, unknown field 400', async () => {
      await request(t.server).put('/api/v1/instances/l/unknown/next').send({ nextId: 'n' }).expect(404);
      const longPath = await request(t.server)
        .put(`/api/v1/instances/l/${'b'.repeat(37)}/next`)
        .send({})
        .expect(400);
      expect(longPath.body.details[0].field).toBe('bizId');
      const unknown = await request(t.server).put('/api/v1/instances/l/b/next').send({ next: 'n' }).expect(400);
      expect(unknown.body.details[0].field).toBe('next');
    });
  });

  describe('admin queries', () => {
    beforeAll(async () => {
      await start({ logicId: 'q', bizId: 'running' }).expect(200);
      await start({ logicId: 'q', bizId: 'failed' }).expect(200);
      await stop({ logicId: 'q', bizId: 'failed', success: false, isOver: false }).expect(200);
    });

    it('long-running lists running instances, paged', async () => {
      const response = await request(t.server)
        .get('/api/v1/instances/long-running?timeoutSeconds=0&limit=1')
        .set(admin)
        .expect(200);
      expect(response.body.items).toHaveLength(1);
      expect(typeof response.body.nextCursor).toBe('string');
    });

    it('uncompleted filters by what is given', async () => {
      const response = await request(t.server)
        .get(
          '/api/v1/instances/uncompleted?isRunning=false&isSuccess=false&maxRetryTimes=0&excludeLogicIds=other,more&from=2020-01-01',
        )
        .set(admin)
        .expect(200);
      expect(response.body.items.map((i: { bizId: string }) => i.bizId)).toEqual(['failed']);
      expect(response.body.nextCursor).toBeNull();
    });

    it.each<[string, string, string]>([
      ['long-running', 'timeoutSeconds=-1', 'timeoutSeconds'],
      ['long-running', 'timeoutSeconds=abc', 'timeoutSeconds'],
      ['long-running', '', 'timeoutSeconds'],
      ['uncompleted', 'from=yesterday', 'from'],
      ['uncompleted', 'to=2026-13-45T99:00:00Z', 'to'],
      ['uncompleted', 'isRunning=maybe', 'isRunning'],
      ['uncompleted', 'maxRetryTimes=-1', 'maxRetryTimes'],
      ['uncompleted', `excludeLogicIds=${Array.from({ length: 101 }, (_, i) => `l${i}`).join(',')}`, 'excludeLogicIds'],
      ['uncompleted', 'limit=5000', 'limit'],
      ['uncompleted', 'limit=0', 'limit'],
      ['uncompleted', 'cursor=garbage', 'cursor'],
      ['uncompleted', 'sort=asc', 'sort'],
    ])('%s?%s is a 400 naming %s', async (route, query, field) => {
      const response = await request(t.server).get(`/api/v1/instances/${route}?${query}`).set(admin).expect(400);
      expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it('GET of one instance refuses an over-long id with a 400 naming it, and 404s an unknown pair', async () => {
      const longBiz = await request(t.server)
        .get(`/api/v1/instances/q/${'b'.repeat(37)}`)
        .set(admin)
        .expect(400);
      expect(longBiz.body.details.map((d: { field: string }) => d.field)).toEqual(['bizId']);
      const longLogic = await request(t.server)
        .get(`/api/v1/instances/${'l'.repeat(37)}/running`)
        .set(admin)
        .expect(400);
      expect(longLogic.body.details.map((d: { field: string }) => d.field)).toEqual(['logicId']);
      const unknown = await request(t.server).get('/api/v1/instances/q/unknown').set(admin).expect(404);
      expect(unknown.body.code).toBe('INSTANCE_NOT_FOUND');
    });

    it('admin routes need the admin token', async () => {
      await request(t.server).get('/api/v1/instances/uncompleted').expect(401);
      await request(t.server).get('/api/v1/instances/q/running').expect(401);
    });
  });

  describe('deletes', () => {
    it('refuses DELETE /instances without a full range or ids, and deletes nothing', async () => {
      const before = await request(t.server).get('/api/v1/instances/uncompleted').set(admin).expect(200);
      for (const query of ['', 'from=2020-01-01', 'to=2030-01-01', 'ids=']) {
        const response = await request(t.server).delete(`/api/v1/instances?${query}`).set(admin).expect(400);
        expect(response.body.code).toMatch(/DELETE_CRITERION_MISSING|VALIDATION_FAILED/);
      }
      const after = await request(t.server).get('/api/v1/instances/uncompleted').set(admin).expect(200);
      expect(after.body.items).toHaveLength(before.body.items.length);
    });

    it('rejects malformed delete criteria', async () => {
      const badDate = await request(t.server).delete('/api/v1/instances?from=soon&to=later').set(admin).expect(400);
      expect(badDate.body.details.map((d: { field: string }) => d.field)).toEqual(['from', 'to']);
      const longId = await request(t.server)
        .delete(`/api/v1/instances?ids=${'i'.repeat(37)}`)
        .set(admin)
        .expect(400);
      expect(longId.body.details[0].field).toBe('ids');
      await request(t.server)
        .delete(`/api/v1/instances/completed?logicId=${'l'.repeat(37)}`)
        .set(admin)
        .expect(400);
    });

    it('deletes by ids and completed ones, and says how many', async () => {
      const victim = await start({ logicId: 'del', bizId: 'one' }).expect(200);
      await request(t.server)
        .delete(`/api/v1/instances?ids=${victim.body.id},not-there`)
        .set(admin)
        .expect(200, { deleted: 1 });
      await start({ logicId: 'del', bizId: 'two' }).expect(200);
      await stop({ logicId: 'del', bizId: 'two', success: true, isOver: true }).expect(200);
      await request(t.server).delete('/api/v1/instances/completed?logicId=del').set(admin).expect(200, { deleted: 1 });
    });
  });

  describe('jobs on demand', () => {
    it('runs a job and reports what it did', async () => {
      const response = await request(t.server).post('/api/v1/instances/jobs/cleanup/run').set(admin).expect(201);
      expect(response.body).toMatchObject({ job: 'cleanup', trigger: 'manual', counts: { deleted: 0 } });
    });

    it('refuses an unknown job with a 400 naming it', async () => {
      const response = await request(t.server).post('/api/v1/instances/jobs/reboot/run').set(admin).expect(400);
      expect(response.body.details[0].field).toBe('job');
    });
  });
});

describe('instance runtime routes with RUNTIME_TOKEN', () => {
  let t: TestApp;
  const runtimeToken = 'instances-e2e-runtime-token';
  beforeAll(async () => {
    t = await startTestApp({ ADMIN_TOKEN: ADMIN, RUNTIME_TOKEN: runtimeToken });
  });
  afterAll(() => t?.close());

  it('needs the runtime token, which does not open admin routes', async () => {
    await request(t.server).post('/api/v1/instances/start').send({ logicId: 'l', bizId: 'b' }).expect(401);
    await request(t.server)
      .post('/api/v1/instances/start')
      .set('Authorization', `Bearer ${runtimeToken}`)
      .send({ logicId: 'l', bizId: 'b' })
      .expect(200);
    await request(t.server).get('/api/v1/instances/l/b').set('Authorization', `Bearer ${runtimeToken}`).expect(401);
    await request(t.server).get('/api/v1/instances/l/b').set(admin).expect(200);
  });
});
