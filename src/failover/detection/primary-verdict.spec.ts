import { type StandbyView, confirmationWindowMs, judgePrimary } from './primary-verdict';

const WINDOW = 3000;
const hearing: StandbyView = { key: 's1', reachable: true, silenceMs: 500, ioState: 'Yes' };
const disconnected: StandbyView = {
  key: 's1',
  reachable: true,
  ioState: 'Connecting',
  lastIoError: 'error reconnecting to master',
};
const silent: StandbyView = { key: 's2', reachable: true, silenceMs: 4000, ioState: 'Yes' };
const unreachable: StandbyView = { key: 's3', reachable: false };

describe('judgePrimary', () => {
  it.each([
    [0, [hearing], 'healthy'],
    [2, [disconnected], 'missing'],
    [3, [hearing], 'partitioned'],
    [3, [disconnected, silent], 'dead'],
    [3, [disconnected, hearing], 'partitioned'],
    [3, [unreachable], 'unconfirmed'],
    [3, [], 'unconfirmed'],
    [3, [disconnected, unreachable], 'dead'],
  ])('misses %i with standbys %j -> %s', (misses, standbys, kind) => {
    expect(judgePrimary(misses, 3, standbys, WINDOW).kind).toBe(kind);
  });

  it('names why each standby confirms the death', () => {
    const verdict = judgePrimary(4, 3, [disconnected, silent], WINDOW);
    expect(verdict).toMatchObject({ kind: 'dead', misses: 4 });
    expect(verdict.kind === 'dead' && verdict.reason).toMatch(
      /s1: IO thread Connecting \(error reconnecting to master\); s2: nothing from the primary for 4000 ms/,
    );
  });

  it('lists who still hears the primary in a partition', () => {
    expect(judgePrimary(3, 3, [hearing, silent], WINDOW)).toEqual({ kind: 'partitioned', misses: 3, seenBy: ['s1'] });
  });

  it('counts a standby silent for exactly the window as still hearing', () => {
    expect(judgePrimary(3, 3, [{ ...silent, silenceMs: WINDOW }], WINDOW).kind).toBe('partitioned');
  });
});

describe('confirmationWindowMs', () => {
  it('is the detection window for a standby with a short heartbeat period', () => {
    expect(confirmationWindowMs(1000, 3, [1])).toBe(3000);
  });

  it('grows to two heartbeat periods plus a poll, so an idle healthy primary is not taken for a hung one', () => {
    expect(confirmationWindowMs(500, 3, [1, 5])).toBe(10_500);
  });
});
