import request from 'supertest';
import { type TestApp, startTestApp } from '../support/test-app';

const ADMIN_TOKEN = 'failover-e2e-admin-token-0123';
const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** Failover routes on the embedded default (SQLite): bad input, auth, and "nothing to fail over". */
describe('failover routes on SQLite', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ADMIN_TOKEN });
  });
  afterAll(() => t?.close());

  it('need the admin token, the event stream included', async () => {
    await request(t.server).get('/api/v1/failover/status').expect(401);
    await request(t.server).post('/api/v1/failover/ack').send({}).expect(401);
    await request(t.server).put('/api/v1/failover/maintenance').send({ enabled: true }).expect(401);
    await request(t.server).get('/api/v1/failover/history').expect(401);
    await request(t.server).post('/api/v1/failover/switchover').send({}).expect(401);
    const events = await request(t.server).get('/api/v1/events').expect(401);
    expect(events.body).toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });
  });

  it('status says failover is off, and why', async () => {
    const response = await request(t.server).get('/api/v1/failover/status').set(AUTH).expect(200);
    expect(response.body).toEqual({ enabled: false, reason: 'DB_TYPE is not mysql: nothing to fail over' });
  });

  it.each([
    [{}, 'enabled'],
    [{ enabled: 'yes' }, 'enabled'],
    [{ enabled: true, reason: 'x'.repeat(201) }, 'reason'],
    [{ enabled: true, until: 'tomorrow' }, 'until'],
  ])('PUT maintenance %j is a 400 naming %s', async (body, field) => {
    const response = await request(t.server).put('/api/v1/failover/maintenance').set(AUTH).send(body).expect(400);
    expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it.each([
    [{ note: 5 }, 'note'],
    [{ note: 'x'.repeat(201) }, 'note'],
    [{ force: true }, 'force'],
  ])('POST ack %j is a 400 naming %s', async (body, field) => {
    const response = await request(t.server).post('/api/v1/failover/ack').set(AUTH).send(body).expect(400);
    expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=51', 'limit'],
    ['?limit=all', 'limit'],
    ['?since=1', 'since'],
  ])('GET history%s is a 400 naming %s', async (query, field) => {
    const response = await request(t.server).get(`/api/v1/failover/history${query}`).set(AUTH).expect(400);
    expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it.each([
    [{ target: 'db2' }, 'target'],
    [{ target: 'db2:3306:1' }, 'target'],
    [{ target: 5 }, 'target'],
    [{ target: 'db2:3306', force: true }, 'force'],
  ])('POST switchover %j is a 400 naming %s', async (body, field) => {
    const response = await request(t.server).post('/api/v1/failover/switchover').set(AUTH).send(body).expect(400);
    expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('a valid switchover is refused with 409 on SQLite', async () => {
    const response = await request(t.server).post('/api/v1/failover/switchover').set(AUTH).send({}).expect(409);
    expect(response.body).toMatchObject({ code: 'FAILOVER_NOT_REPLICATED' });
  });

  it('valid ack and maintenance are refused with 409: there is no topology on SQLite', async () => {
    const ack = await request(t.server).post('/api/v1/failover/ack').set(AUTH).send({}).expect(409);
    expect(ack.body).toMatchObject({ code: 'FAILOVER_NOT_REPLICATED' });
    await request(t.server).put('/api/v1/failover/maintenance').set(AUTH).send({ enabled: true }).expect(409);
  });

  it('history is empty', async () => {
    expect((await request(t.server).get('/api/v1/failover/history?limit=5').set(AUTH).expect(200)).body).toEqual({
      items: [],
    });
  });

  it('readiness reports the topology as not replicated', async () => {
    const response = await request(t.server).get('/health/ready').expect(200);
    expect(response.body.details.topology).toEqual({ status: 'up', replicated: false });
  });
});
