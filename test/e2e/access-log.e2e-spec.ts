import request from 'supertest';
import { type TestApp, startTestApp } from '../support/test-app';

interface Line {
  reqId?: string;
  msg?: string;
  [field: string]: unknown;
}

const ADMIN_TOKEN = 'access-log-admin-token';

/**
 * The access line is written when the response has finished, which can be just after the
 * client has read it: wait for a given request's line instead of reading the logs at once.
 */
async function lineOf(t: TestApp, reqId: string): Promise<Line> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const line = linesOf(t, reqId)[0];
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no log line for ${reqId}:\n${t.logs.join('')}`);
}

function linesOf(t: TestApp, reqId: string): Line[] {
  return t.logs.map((l) => JSON.parse(l) as Line).filter((l) => l.reqId === reqId);
}

const get = (t: TestApp, path: string, reqId: string) =>
  request(t.server).get(path).set('X-Request-Id', reqId).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

describe('access log (LOG_REQUESTS)', () => {
  describe('all (the default)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ LOG_LEVEL: 'info', ADMIN_TOKEN });
    });
    afterAll(() => t?.close());

    it('writes exactly one line per request, on completion, with the fields operators read', async () => {
      await get(t, '/health/live', 'one-line').expect(200);
      const line = await lineOf(t, 'one-line');
      // A later request's line is there: anything the first request would still write, it has written.
      await get(t, '/health/live', 'one-line-after').expect(200);
      await lineOf(t, 'one-line-after');
      expect(linesOf(t, 'one-line')).toHaveLength(1);
      expect(line).toEqual({
        level: 'info',
        time: expect.any(String),
        service: 'logic-ha',
        reqId: 'one-line',
        msg: 'request completed',
        method: 'GET',
        path: '/health/live',
        route: '/health/live',
        statusCode: 200,
        responseTime: expect.any(Number),
        remoteAddress: expect.stringMatching(/127\.0\.0\.1$/),
      });
    });

    it('logs the path and the route pattern, never the query string or the token', async () => {
      await get(t, '/api/v1/configs/no-such-logic?version=query-secret-123', 'with-query').expect(404);
      const line = await lineOf(t, 'with-query');
      expect(line).toMatchObject({
        path: '/api/v1/configs/no-such-logic',
        route: '/api/v1/configs/:logicId',
        statusCode: 404,
      });
      expect(t.logs.join('')).not.toMatch(/query-secret-123|access-log-admin-token/);
    });

    it('has no route pattern for an unknown route', async () => {
      await get(t, '/api/v1/nothing-here', 'unknown-route').expect(404);
      const line = await lineOf(t, 'unknown-route');
      expect(line).toMatchObject({ path: '/api/v1/nothing-here', statusCode: 404 });
      expect(line).not.toHaveProperty('route');
    });
  });

  describe('errors', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ LOG_LEVEL: 'info', LOG_REQUESTS: 'errors', ADMIN_TOKEN });
    });
    afterAll(() => t?.close());

    it('omits a 200 and keeps a 404 (status >= 400)', async () => {
      await get(t, '/health/live', 'errors-200').expect(200);
      await get(t, '/api/v1/nothing-here', 'errors-404').expect(404);
      await get(t, '/api/v1/system', 'errors-401').set('Authorization', 'Bearer wrong-token-0123456789').expect(401);
      expect(await lineOf(t, 'errors-404')).toMatchObject({ msg: 'request completed', statusCode: 404 });
      expect(await lineOf(t, 'errors-401')).toMatchObject({ statusCode: 401 });
      expect(linesOf(t, 'errors-200')).toEqual([]);
    });
  });

  describe('off', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ LOG_LEVEL: 'info', LOG_REQUESTS: 'off', ADMIN_TOKEN });
    });
    afterAll(() => t?.close());

    it('omits both, while other info lines still appear', async () => {
      await get(t, '/health/live', 'off-200').expect(200);
      await get(t, '/api/v1/nothing-here', 'off-404').expect(404);
      // A line the app writes after both requests have completed: a log-level change (warn).
      await request(t.server)
        .put('/api/v1/system/log-level')
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
        .send({ level: 'info' })
        .expect(200);
      expect(t.logs.some((l) => l.includes('log level changed'))).toBe(true);
      expect(linesOf(t, 'off-200')).toEqual([]);
      expect(linesOf(t, 'off-404')).toEqual([]);
    });
  });
});
