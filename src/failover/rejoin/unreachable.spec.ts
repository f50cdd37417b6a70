import { isUnreachable } from './unreachable';

describe('isUnreachable', () => {
  it.each([
    [
      'a refused connection (mysql2 code)',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2'), { code: 'ECONNREFUSED' }),
      true,
    ],
    ['a connect timeout', Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }), true],
    ['the probe bound', new Error('admin statement on 127.0.0.1:2: no answer within 30000 ms'), true],
    ['a refusal whose code was lost', new Error('connect ECONNREFUSED 127.0.0.1:2'), true],
    ['an empty binlog', new Error('127.0.0.1:2 has an empty binary log'), false],
    [
      'replication stopped with an error',
      new Error('replication from the primary stopped: Got fatal error 1236'),
      false,
    ],
    ['not caught up in time', new Error('not in sync within 60000 ms: IO thread Yes, SQL thread Yes'), false],
    ['the primary moved', new Error('the primary changed from a to b during the rejoin'), false],
  ])('%s: %s', (_case, error, expected) => {
    expect(isUnreachable(error)).toBe(expected);
  });
});
