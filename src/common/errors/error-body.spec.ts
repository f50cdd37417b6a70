import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { CommonErrorCode } from './common-error-code';
import { DomainError, ErrorKind } from './domain-error';
import { toErrorAnswer } from './error-body';

describe('toErrorAnswer', () => {
  it.each([
    [ErrorKind.InvalidInput, 400],
    [ErrorKind.Unauthorized, 401],
    [ErrorKind.Forbidden, 403],
    [ErrorKind.NotFound, 404],
    [ErrorKind.Conflict, 409],
    [ErrorKind.PayloadTooLarge, 413],
    [ErrorKind.UnsupportedMediaType, 415],
    [ErrorKind.Unavailable, 503],
    [ErrorKind.InsufficientStorage, 507],
    [ErrorKind.Internal, 500],
  ])('maps a %s DomainError to %i with its code and message', (kind, status) => {
    const answer = toErrorAnswer(new DomainError('SOME_CODE', kind, 'what happened', { details: { a: 1 } }), 'req-1');
    expect(answer.body).toEqual({ statusCode: status, code: 'SOME_CODE', message: 'what happened', details: { a: 1 } });
  });

  it('sends Retry-After for an unavailable error that names one', () => {
    const answer = toErrorAnswer(
      new DomainError('SWITCHING', ErrorKind.Unavailable, 'wait', { retryAfterSeconds: 2 }),
      'r',
    );
    expect(answer.headers).toEqual({ 'retry-after': '2' });
  });

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3307'), { code: 'ECONNREFUSED' })],
    ['a lost connection', Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST' })],
    [
      'a read-only server (TypeORM wraps it)',
      Object.assign(new Error('QueryFailedError'), { driverError: { code: 'ER_OPTION_PREVENTS_STATEMENT' } }),
    ],
    [
      'a closed pool',
      Object.assign(new Error('Cannot execute operation on "default" connection'), {
        name: 'CannotExecuteNotConnectedError',
      }),
    ],
    ['a driver with no pool', new Error('Driver not Connected')],
    [
      'a host name that no longer resolves',
      Object.assign(new Error('getaddrinfo ENOTFOUND db-primary'), { code: 'ENOTFOUND' }),
    ],
    [
      'a session killed by fencing (no code name, errno 1927)',
      Object.assign(new Error('Connection was killed'), { driverError: { errno: 1927 } }),
    ],
    [
      'a pool closed while a query waited for a connection',
      new Error('Connection is not established with mysql database'),
    ],
  ])('answers %s with 503 + Retry-After, not a 500', (_, error) => {
    const answer = toErrorAnswer(error, 'r');
    expect(answer.body).toMatchObject({ statusCode: 503, code: CommonErrorCode.DatabaseUnavailable });
    expect(answer.headers).toEqual({ 'retry-after': '1' });
    expect(answer.unexpected).toBe(false);
  });

  it('keeps a duplicate key (a database error that is not about reachability) a 500', () => {
    const answer = toErrorAnswer(Object.assign(new Error('dup'), { driverError: { code: 'ER_DUP_ENTRY' } }), 'r');
    expect(answer.body.statusCode).toBe(500);
  });

  it.each([
    [
      'a file write names its own file',
      Object.assign(new Error('ENOSPC'), { code: 'ENOSPC', path: '/data/backups/x/file' }),
      '/data/backups/x/file',
    ],
    [
      'a SQLite write names the database file',
      Object.assign(new Error('full'), { code: 'SQLITE_FULL' }),
      '/data/logic-ha.sqlite',
    ],
  ])('answers a full disk with 507 STORAGE_FULL where %s', (_what, error, path) => {
    const answer = toErrorAnswer(error, 'r', '/data/logic-ha.sqlite');
    expect(answer.body).toMatchObject({ statusCode: 507, code: 'STORAGE_FULL', details: { path } });
  });

  it('asks for a bearer token on 401', () => {
    expect(toErrorAnswer(new DomainError('X', ErrorKind.Unauthorized, 'no'), 'r').headers).toEqual({
      'www-authenticate': 'Bearer',
    });
  });

  it('hides an unknown error behind a 500 with the correlation id and no internals', () => {
    const answer = toErrorAnswer(new Error('password=hunter2 at db.ts:42'), 'req-42');
    expect(answer.unexpected).toBe(true);
    expect(answer.body).toEqual({
      statusCode: 500,
      code: CommonErrorCode.InternalError,
      message: expect.stringContaining('correlationId'),
      correlationId: 'req-42',
    });
    expect(JSON.stringify(answer.body)).not.toContain('hunter2');
  });

  it.each([
    [new NotFoundException('Cannot GET /x'), 404, CommonErrorCode.RouteNotFound],
    [new BadRequestException('Body is not valid JSON'), 400, CommonErrorCode.MalformedBody],
    [new HttpException('Request body is too large', 413), 413, CommonErrorCode.PayloadTooLarge],
    [new HttpException('Unsupported Media Type', 415), 415, CommonErrorCode.UnsupportedMediaType],
    [new HttpException('Teapot', 418), 418, CommonErrorCode.HttpError],
  ])('gives framework HTTP errors a code (%s)', (error, status, code) => {
    expect(toErrorAnswer(error, 'r')).toMatchObject({ body: { statusCode: status, code }, unexpected: false });
  });
});
