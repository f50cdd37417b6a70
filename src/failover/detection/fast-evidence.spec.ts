import {
  type HeartbeatFailure,
  classifyHeartbeatFailure,
  confirmRefusals,
  judgeFastPath,
  probeSpacingMs,
  standbyRefused,
} from './fast-evidence';
import type { StandbyView } from './primary-verdict';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });
/** What MariaDB 10.11 writes, as read from a real standby 3 ms after kill -9 of its primary. */
const REFUSED_TEXT =
  "error reconnecting to master 'repl@127.0.0.1:38291' - retry-time: 1  maximum-retries: 100000  message: Can't connect to server on '127.0.0.1' (111 \"Connection refused\")";
const refused: StandbyView = {
  key: 's1',
  reachable: true,
  ioState: 'Connecting',
  lastIoErrno: 2003,
  lastIoError: REFUSED_TEXT,
};

describe('classifyHeartbeatFailure', () => {
  it.each<[unknown, HeartbeatFailure]>([
    [coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:3306'), 'refused'],
    [coded('ETIMEDOUT', 'connect ETIMEDOUT'), 'timeout'],
    [coded('PROTOCOL_SEQUENCE_TIMEOUT'), 'timeout'],
    [new Error('SELECT 1 on 127.0.0.1:1: no answer within 1000 ms'), 'timeout'],
    [coded('PROTOCOL_CONNECTION_LOST', 'Connection lost: The server closed the connection.'), 'lost'],
    [coded('ECONNRESET'), 'lost'],
    [new Error("Can't add new command when connection is in closed state"), 'lost'],
    [coded('ER_ACCESS_DENIED_ERROR', 'Access denied'), 'other'],
    [coded('ER_CON_COUNT_ERROR', 'Too many connections'), 'other'],
    [coded('EHOSTUNREACH'), 'other'],
    // Only the code counts: a message that merely mentions a refusal is no evidence.
    [new Error('connect ECONNREFUSED 127.0.0.1:1'), 'other'],
    ['a string', 'other'],
  ])('%s -> %s', (error, expected) => {
    expect(classifyHeartbeatFailure(error)).toBe(expected);
  });
});

describe('standbyRefused', () => {
  it('takes a disconnected IO thread whose last reconnect was refused (2003, 111)', () => {
    expect(standbyRefused(refused)).toBe(true);
    expect(standbyRefused({ ...refused, lastIoErrno: undefined })).toBe(true);
  });

  it.each<[string, Partial<StandbyView>]>([
    ['a connected IO thread (stale error text)', { ioState: 'Yes' }],
    ['an IO thread an operator stopped', { ioState: 'No' }],
    ['an unreachable standby', { reachable: false }],
    [
      'a lost connection (2013: something accepted the TCP connection)',
      {
        lastIoErrno: 2013,
        lastIoError: "Lost connection to server at 'handshake: reading initial communication packet'",
      },
    ],
    ['the moment before its first reconnect (no error yet)', { lastIoErrno: 0, lastIoError: '' }],
    [
      'a timed-out reconnect',
      {
        lastIoError:
          "error reconnecting to master - message: Can't connect to server on 'h' (110 \"Connection timed out\")",
      },
    ],
    [
      'an unreachable host',
      {
        lastIoError:
          "error reconnecting to master - message: Can't connect to server on 'h' (113 \"No route to host\")",
      },
    ],
  ])('does not take %s', (_, change) => {
    expect(standbyRefused({ ...refused, ...change })).toBe(false);
  });
});

describe('judgeFastPath', () => {
  const settings = { windowMs: 1000 };
  const run = { refusals: 3, spanMs: 1002 };

  it('confirms three refusals over the window when every reachable standby was refused too, naming the fast path', () => {
    const verdict = judgeFastPath(run, [refused, { key: 's2', reachable: false }], settings);
    expect(verdict).toMatchObject({ kind: 'dead', misses: 3 });
    expect(verdict?.kind === 'dead' && verdict.reason).toMatch(
      /^fast path: the primary refused 3 connections over 1002 ms; every standby was refused too; s1: IO thread Connecting/,
    );
  });

  it.each<[string, Parameters<typeof judgeFastPath>]>([
    ['no refusal run (a timeout)', [null, [refused], settings]],
    ['the fast path off', [run, [refused], { windowMs: 0 }]],
    ['fewer than three refusals', [{ refusals: 2, spanMs: 1500 }, [refused], settings]],
    ['refusals shorter than the window', [{ refusals: 3, spanMs: 600 }, [refused], settings]],
    ['no reachable standby', [run, [{ key: 's2', reachable: false }], settings]],
    ['no standby at all', [run, [], settings]],
    [
      'a standby still connected',
      [run, [refused, { key: 's2', reachable: true, ioState: 'Yes', silenceMs: 200 }], settings],
    ],
    [
      'a standby failing otherwise',
      [run, [refused, { ...refused, key: 's2', lastIoErrno: 2013, lastIoError: 'Lost connection' }], settings],
    ],
  ])('leaves the verdict to the full window with %s', (_, args) => {
    expect(judgeFastPath(...args)).toBeNull();
  });
});

describe('probeSpacingMs', () => {
  it('is 250-500 ms: two probes over the default 1000 ms window', () => {
    expect([probeSpacingMs(500), probeSpacingMs(800), probeSpacingMs(1000), probeSpacingMs(6000)]).toEqual([
      250, 400, 500, 500,
    ]);
  });
});

describe('confirmRefusals', () => {
  /** A clock moved only by the sleeps, and a probe that answers from a script. */
  function scripted(outcomes: (HeartbeatFailure | null)[]) {
    let now = 0;
    const sleeps: number[] = [];
    let index = 0;
    return {
      sleeps,
      options: {
        first: 'refused' as HeartbeatFailure | null,
        probe: async () => (index < outcomes.length ? outcomes[index++] : (index++, 'refused')),
        failureOf: (o: HeartbeatFailure | null) => o,
        windowMs: 1000,
        sleep: async (ms: number) => {
          sleeps.push(ms);
          now += ms;
        },
        now: () => now,
      },
      probed: () => index,
    };
  }

  it('probes twice more, 500 ms apart, and reports the run when all were refused', async () => {
    const { options, sleeps, probed } = scripted(['refused', 'refused']);
    await expect(confirmRefusals(options)).resolves.toEqual({
      outcome: 'refused',
      run: { refusals: 3, spanMs: 1000 },
      last: 'refused',
    });
    expect(sleeps).toEqual([500, 500]);
    expect(probed()).toBe(2);
  });

  it('stops at a handshake within the window (a restart): broken, with the answer', async () => {
    const { options, probed } = scripted(['refused', null]);
    await expect(confirmRefusals(options)).resolves.toEqual({
      outcome: 'broken',
      run: { refusals: 2, spanMs: 1000 },
      last: null,
    });
    expect(probed()).toBe(2);
  });

  it('stops at a timeout: the full window applies', async () => {
    const { options } = scripted(['timeout']);
    await expect(confirmRefusals(options)).resolves.toMatchObject({ outcome: 'broken', last: 'timeout' });
  });

  it('ends after its probes even when the clock stands still', async () => {
    const { options, probed } = scripted([]);
    const result = await confirmRefusals({ ...options, sleep: async () => undefined, windowMs: 4000 });
    expect(result).toMatchObject({ outcome: 'refused', run: { refusals: 9, spanMs: 0 } });
    expect(probed()).toBe(8);
  });
});
