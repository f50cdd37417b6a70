import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { type TestApp, startTestApp } from '../support/test-app';

describe('logic-ha on its embedded default (SQLite, no environment)', () => {
  let t: TestApp;
  let adminToken: string;
  const auth = () => ({ Authorization: `Bearer ${adminToken}` });

  beforeAll(async () => {
    t = await startTestApp({ LOG_LEVEL: 'info' });
    adminToken = readFileSync(join(t.cwd, 'data', 'admin-token'), 'utf8').trim();
  });
  afterAll(() => t?.close());

  it('creates its SQLite file under ./data and an owner-only admin token file', () => {
    expect(t.config.database).toEqual({ type: 'sqlite', sqlitePath: join(t.cwd, 'data', 'logic-ha.sqlite') });
    expect(statSync(join(t.cwd, 'data', 'logic-ha.sqlite')).isFile()).toBe(true);
    expect(statSync(join(t.cwd, 'data', 'admin-token')).mode & 0o777).toBe(0o600);
  });

  it('is live and ready', async () => {
    await request(t.server).get('/health/live').expect(200, { status: 'ok' });
    const ready = await request(t.server).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, disk: { status: 'up', path: join(t.cwd, 'data') }, memory: { status: 'up' } },
    });
  });

  describe('admin routes', () => {
    it('answer 401 without a token, asking for a bearer token', async () => {
      const response = await request(t.server).get('/api/v1/system').expect(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.body).toMatchObject({ statusCode: 401, code: 'AUTHENTICATION_REQUIRED' });
    });

    it('answer 401 with a wrong token', async () => {
      const response = await request(t.server)
        .get('/api/v1/system')
        .set('Authorization', 'Bearer not-the-admin-token')
        .expect(401);
      expect(response.body).toMatchObject({ statusCode: 401, code: 'INVALID_TOKEN' });
    });

    it('answer with the right token: the schema is fully migrated on start', async () => {
      const response = await request(t.server).get('/api/v1/system').set(auth()).expect(200);
      expect(response.body).toMatchObject({
        name: 'logic-ha',
        database: {
          type: 'sqlite',
          schema: { applied: MIGRATIONS.map((m) => m.name), pending: [], logicSolutionVersion: '0.8' },
        },
      });
    });
  });

  describe('bad input on PUT /api/v1/system/log-level', () => {
    const put = (body: unknown) =>
      request(t.server)
        .put('/api/v1/system/log-level')
        .set(auth())
        .send(body as object);

    it('rejects an unknown field with a 400 naming it, and changes nothing', async () => {
      const response = await put({ level: 'debug', colour: 'red' }).expect(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'colour' }] });
      expect(response.body.message).toMatch(/colour/);
      const info = await request(t.server).get('/api/v1/system').set(auth()).expect(200);
      expect(info.body.logLevel).toBe('info');
    });

    it('rejects a bad value with a 400 naming the field', async () => {
      const response = await put({ level: 'loud' }).expect(400);
      expect(response.body.details).toEqual([
        { field: 'level', problems: [expect.stringMatching(/level must be one of/)] },
      ]);
    });

    it('rejects a missing field', async () => {
      const response = await put({}).expect(400);
      expect(response.body.details).toEqual([{ field: 'level', problems: expect.any(Array) }]);
    });

    it('rejects malformed JSON', async () => {
      const response = await request(t.server)
        .put('/api/v1/system/log-level')
        .set(auth())
        .set('Content-Type', 'application/json')
        .send('{"level":')
        .expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, code: 'MALFORMED_BODY' });
    });

    it('rejects a media type it does not read', async () => {
      const response = await request(t.server)
        .put('/api/v1/system/log-level')
        .set(auth())
        .set('Content-Type', 'application/xml')
        .send('<level>debug</level>')
        .expect(415);
      expect(response.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    });

    // curl -d sends application/x-www-form-urlencoded unless told otherwise; the JSON text
    // used to become one form field and the client read "property {…} should not exist".
    it.each([
      ["curl's default", 'application/x-www-form-urlencoded'],
      ['plain text', 'text/plain'],
    ])(
      'answers 415 naming the content-type header to a JSON body sent as %s, and changes nothing',
      async (_name, contentType) => {
        const response = await request(t.server)
          .put('/api/v1/system/log-level')
          .set(auth())
          .set('Content-Type', contentType)
          .send('{"level":"debug"}')
          .expect(415);
        expect(response.body).toMatchObject({
          statusCode: 415,
          code: 'UNSUPPORTED_MEDIA_TYPE',
          details: { header: 'content-type', expected: 'application/json', got: contentType },
        });
        expect(response.body.message).toMatch(/"content-type: application\/json" \(got "/);
        const info = await request(t.server).get('/api/v1/system').set(auth()).expect(200);
        expect(info.body.logLevel).toBe('info');
      },
    );

    it('answers 415 to a body without any content-type header', async () => {
      // Fastify's inject sends a string payload as is, with no content-type added.
      const answer = await t.app
        .getHttpAdapter()
        .getInstance()
        .inject({ method: 'PUT', url: '/api/v1/system/log-level', headers: auth(), payload: '{"level":"debug"}' });
      expect(answer.statusCode).toBe(415);
      expect(answer.json().message).toMatch(/content-type: application\/json.*got no content-type header/);
    });

    it('still takes an empty body on a route whose body is optional, whatever its content-type', async () => {
      const response = await request(t.server)
        .post('/api/v1/failover/ack')
        .set(auth())
        .set('Content-Type', 'text/plain');
      expect(response.status).not.toBe(415);
    });

    it('needs the admin token before looking at the body', async () => {
      await request(t.server).put('/api/v1/system/log-level').send({ level: 'loud' }).expect(401);
    });

    it('applies a valid level at once', async () => {
      await put({ level: 'warn' }).expect(200, { previous: 'info', level: 'warn' });
      const info = await request(t.server).get('/api/v1/system').set(auth()).expect(200);
      expect(info.body.logLevel).toBe('warn');
      await put({ level: 'info' }).expect(200);
    });
  });

  it('answers unknown routes with the common error shape', async () => {
    const response = await request(t.server).get('/api/v1/nothing-here').expect(404);
    expect(response.body).toEqual({
      statusCode: 404,
      code: 'ROUTE_NOT_FOUND',
      message: 'Cannot GET /api/v1/nothing-here',
    });
  });

  describe('request ids', () => {
    it('echoes a well-formed X-Request-Id and logs it', async () => {
      const response = await request(t.server).get('/health/live').set('X-Request-Id', 'trace-abc.123').expect(200);
      expect(response.headers['x-request-id']).toBe('trace-abc.123');
      const line = t.logs.map((l) => JSON.parse(l)).find((l) => l.reqId === 'trace-abc.123');
      expect(line).toMatchObject({ level: 'info', service: 'logic-ha' });
    });

    it('replaces an unsafe one with a fresh id', async () => {
      const response = await request(t.server).get('/health/live').set('X-Request-Id', 'x'.repeat(100)).expect(200);
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  it('never logs the admin token', async () => {
    await request(t.server).get('/api/v1/system').set(auth()).expect(200);
    expect(t.logs.length).toBeGreaterThan(0);
    expect(t.logs.join('\n')).not.toContain(adminToken);
  });

  it('serves OpenAPI at /docs-json and its UI at /docs, without a token', async () => {
    const json = await request(t.server).get('/docs-json').expect(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toEqual(
      expect.arrayContaining(['/health/live', '/health/ready', '/api/v1/system', '/api/v1/system/log-level']),
    );
    const ui = await request(t.server).get('/docs').redirects(1).expect(200);
    expect(ui.text).toMatch(/swagger/i);
  });

  describe('when the database goes away', () => {
    beforeAll(async () => {
      await t.app.get(DataSource).destroy();
    });

    it('is still live but no longer ready, with Retry-After', async () => {
      await request(t.server).get('/health/live').expect(200);
      const response = await request(t.server).get('/health/ready').expect(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.body).toMatchObject({ code: 'NOT_READY', details: { error: { database: { status: 'down' } } } });
    });

    it('answers an unexpected failure with a 500 carrying the request id and no internals', async () => {
      const response = await request(t.server)
        .get('/api/v1/system')
        .set(auth())
        .set('X-Request-Id', 'req-500')
        .expect(500);
      expect(response.body).toEqual({
        statusCode: 500,
        code: 'INTERNAL_ERROR',
        message: expect.any(String),
        correlationId: 'req-500',
      });
      const logged = t.logs.map((l) => JSON.parse(l)).find((l) => l.correlationId === 'req-500');
      expect(logged).toMatchObject({ level: 'error', msg: 'unexpected error' });
    });
  });
});

describe('logic-ha with operator-chosen settings', () => {
  let t: TestApp;
  const token = 'operator-chosen-admin-token';
  beforeAll(async () => {
    t = await startTestApp({ ADMIN_TOKEN: token, BODY_LIMIT_BYTES: '2048', RUNTIME_TOKEN: 'runtime-token-0123456789' });
  });
  afterAll(() => t?.close());

  it('uses ADMIN_TOKEN and writes no token file', async () => {
    await request(t.server).get('/api/v1/system').set('Authorization', `Bearer ${token}`).expect(200);
    expect(() => statSync(join(t.cwd, 'data', 'admin-token'))).toThrow();
  });

  it('does not accept the runtime token on admin routes', async () => {
    await request(t.server).get('/api/v1/system').set('Authorization', 'Bearer runtime-token-0123456789').expect(401);
  });

  it('refuses a body over BODY_LIMIT_BYTES with 413', async () => {
    const response = await request(t.server)
      .put('/api/v1/system/log-level')
      .set('Authorization', `Bearer ${token}`)
      .send({ level: 'x'.repeat(4096) })
      .expect(413);
    expect(response.body).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
  });
});
