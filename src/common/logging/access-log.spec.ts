import type { FastifyReply, FastifyRequest } from 'fastify';
import pino from 'pino';
import { AccessLogController, pathOf, shouldLogRequest } from './access-log';

describe('LOG_REQUESTS policy', () => {
  it.each([
    ['all', 200, false, true],
    ['all', 404, false, true],
    ['all', 503, false, true],
    ['errors', 200, false, false],
    ['errors', 204, false, false],
    ['errors', 302, false, false],
    ['errors', 399, false, false],
    ['errors', 400, false, true],
    ['errors', 401, false, true],
    ['errors', 404, false, true],
    ['errors', 500, false, true],
    ['errors', 200, true, true], // the answer was cut by an error after a 200 header
    ['off', 200, false, false],
    ['off', 404, false, false],
    ['off', 500, true, false],
  ] as const)('%s, status %i, failed %s: logged %s', (mode, status, failed, logged) => {
    expect(shouldLogRequest(mode, status, failed)).toBe(logged);
  });
});

describe('pathOf', () => {
  it('drops the query string, keeps the path', () => {
    expect(pathOf('/api/v1/configs/a?version=12&mode=offline')).toBe('/api/v1/configs/a');
    expect(pathOf('/health/live')).toBe('/health/live');
    expect(pathOf('/x?')).toBe('/x');
  });
});

describe('AccessLogController', () => {
  function setup(level = 'info') {
    const lines: Record<string, unknown>[] = [];
    const root = pino(
      { level },
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const request = {
      method: 'GET',
      url: '/api/v1/configs/order-approval?version=12',
      routeOptions: { url: '/api/v1/configs/:logicId' },
      ip: '127.0.0.1',
      headers: { authorization: 'Bearer do-not-log-me' },
      log: root.child({ reqId: 'req-1' }),
    } as unknown as FastifyRequest;
    const reply = (statusCode: number) => ({ statusCode, elapsedTime: 1.23456 }) as unknown as FastifyReply;
    return { lines, request, reply };
  }

  it('writes nothing when the request arrives', () => {
    const { lines, request, reply } = setup();
    new AccessLogController('all').incomingRequest();
    expect(lines).toEqual([]);
    new AccessLogController('all').requestCompleted(null, request, reply(200));
    expect(lines).toHaveLength(1);
  });

  it('writes one flat line on completion: reqId, method, path without query, route, status, ms, address', () => {
    const { lines, request, reply } = setup();
    new AccessLogController('all').requestCompleted(null, request, reply(200));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'request completed',
        reqId: 'req-1',
        method: 'GET',
        path: '/api/v1/configs/order-approval',
        route: '/api/v1/configs/:logicId',
        statusCode: 200,
        responseTime: 1.23,
        remoteAddress: '127.0.0.1',
      }),
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/do-not-log-me|version=12/);
  });

  it('follows the mode: errors keeps a 404 and drops a 200; off drops both', () => {
    const errors = setup();
    const errorsController = new AccessLogController('errors');
    errorsController.requestCompleted(null, errors.request, errors.reply(200));
    errorsController.requestCompleted(null, errors.request, errors.reply(404));
    expect(errors.lines.map((l) => l.statusCode)).toEqual([404]);
    const off = setup();
    const offController = new AccessLogController('off');
    offController.requestCompleted(null, off.request, off.reply(200));
    offController.requestCompleted(null, off.request, off.reply(404));
    expect(off.lines).toEqual([]);
  });

  it('logs an answer cut by an error at error level, with the error', () => {
    const { lines, request, reply } = setup();
    new AccessLogController('errors').requestCompleted(new Error('socket hang up'), request, reply(200));
    expect(lines).toEqual([
      expect.objectContaining({ level: 50, msg: 'request errored', statusCode: 200, err: expect.any(Object) }),
    ]);
  });

  it('writes nothing below the logger level (LOG_LEVEL=warn)', () => {
    const { lines, request, reply } = setup('warn');
    new AccessLogController('all').requestCompleted(null, request, reply(404));
    expect(lines).toEqual([]);
  });
});
