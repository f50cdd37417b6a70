import { DEFAULT_WEBHOOK_RETRY_SCHEDULE } from '../config/webhooks.config';
import { loadAppConfig } from '../config/app-config.factory';
import { nextAttempt } from './retry-schedule';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const CREATED = new Date('2026-11-29T00:00:00.000Z');
const at = (ms: number) => new Date(CREATED.getTime() + ms);

describe('nextAttempt', () => {
  const policy = { delaysMs: [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H], maxAgeMs: 48 * H };

  it('is the Standard Webhooks schedule by default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after each failure', () => {
    const config = loadAppConfig({}, '/srv').webhooks;
    expect(DEFAULT_WEBHOOK_RETRY_SCHEDULE).toBe('5s,5m,30m,2h,5h,10h,10h');
    expect(config.retryDelaysMs).toEqual(policy.delaysMs);
    expect(config.maxAgeMs).toBe(48 * H);
  });

  it('waits the n-th delay after the n-th failed attempt, measured from that failure', () => {
    let now = 0;
    const waits: number[] = [];
    for (let attempts = 1; attempts <= 7; attempts++) {
      const next = nextAttempt(policy, attempts, CREATED, at(now));
      if (!next.retry) throw new Error(`stopped after ${attempts}`);
      waits.push(next.at.getTime() - at(now).getTime());
      now = next.at.getTime() - CREATED.getTime() + 1234; // the attempt itself took a while
    }
    expect(waits).toEqual(policy.delaysMs);
  });

  it('gives up after 8 attempts (1 + one per delay)', () => {
    expect(nextAttempt(policy, 8, CREATED, at(28 * H))).toEqual({ retry: false, reason: 'gave up after 8 attempts' });
  });

  it('gives up when the next attempt would be past the maximum age, whatever attempts are left', () => {
    const next = nextAttempt({ ...policy, maxAgeMs: 3 * H }, 5, CREATED, at(2 * H + 40 * M));
    expect(next).toEqual({ retry: false, reason: expect.stringMatching(/maximum age/) });
    expect(nextAttempt({ ...policy, maxAgeMs: 3 * H }, 3, CREATED, at(6 * M)).retry).toBe(true);
  });

  it('with an empty-ish schedule of one delay, tries twice', () => {
    const short = { delaysMs: [100], maxAgeMs: H };
    expect(nextAttempt(short, 1, CREATED, at(0))).toEqual({ retry: true, at: at(100) });
    expect(nextAttempt(short, 2, CREATED, at(100)).retry).toBe(false);
  });
});
