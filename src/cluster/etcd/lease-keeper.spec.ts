import { Logger } from '@nestjs/common';
import { type Etcd3, EtcdLeaseInvalidError } from 'etcd3';
import { LeaseKeeper, type Renewal } from './lease-keeper';

/** One call to etcd the test answers when it chooses (after moving the clock, say). */
interface Pending {
  kind: 'grant' | 'keepalive';
  resolve: () => void;
  reject: (error: unknown) => void;
}

class FakeLease {
  readonly revoke = jest.fn(async (_options?: { deadline: number }) => undefined);
  readonly release = jest.fn();
  private readonly granted: Promise<string>;
  readonly keepaliveOptions: unknown[] = [];

  constructor(
    readonly ttl: number,
    readonly options: unknown,
    private readonly calls: Pending[],
    id: string,
  ) {
    // etcd3's Lease sends its grant from the constructor; grant() only waits for it.
    this.granted = new Promise<string>((resolve, reject) =>
      calls.push({ kind: 'grant', resolve: () => resolve(id), reject }),
    );
    this.granted.catch(() => undefined);
  }

  grant(): Promise<string> {
    return this.granted;
  }

  keepaliveOnce(options?: unknown): Promise<void> {
    this.keepaliveOptions.push(options);
    return new Promise<void>((resolve, reject) => this.calls.push({ kind: 'keepalive', resolve, reject }));
  }
}

/** Only what LeaseKeeper uses of Etcd3: `lease(ttl, options)`. */
class FakeEtcd {
  readonly leases: FakeLease[] = [];
  readonly calls: Pending[] = [];

  lease(ttl: number, options: unknown): FakeLease {
    const lease = new FakeLease(ttl, options, this.calls, String(this.leases.length + 1));
    this.leases.push(lease);
    return lease;
  }

  asClient(): Etcd3 {
    return this as unknown as Etcd3;
  }

  /** Answers the oldest unanswered call. */
  answer(outcome: 'ok' | Error): Pending['kind'] {
    const call = this.calls.shift();
    if (!call) throw new Error('no etcd call is waiting for an answer');
    if (outcome === 'ok') call.resolve();
    else call.reject(outcome);
    return call.kind;
  }
}

const TTL_MS = 10_000;
/** max(250, 10% of the TTL). */
const MARGIN_MS = 1_000;

describe('LeaseKeeper', () => {
  let etcd: FakeEtcd;
  let time: number;
  let keeper: LeaseKeeper;
  let renewals: Renewal[];
  let failures: number;

  /** One renewal sent at the current time and answered `afterMs` later. */
  async function renewal(outcome: 'ok' | Error = 'ok', afterMs = 0): Promise<Pending['kind']> {
    const done = keeper.renew();
    time += afterMs;
    const kind = etcd.answer(outcome);
    await done;
    return kind;
  }

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    // LeaseKeeper schedules its next renewal after each one: fake timers keep them from running.
    jest.useFakeTimers();
    etcd = new FakeEtcd();
    time = 1_000;
    keeper = new LeaseKeeper(etcd.asClient(), TTL_MS, 2_000, () => time);
    renewals = [];
    failures = 0;
    keeper.onRenewed((renewal) => renewals.push(renewal));
    keeper.onFailed(() => failures++);
  });

  afterEach(() => {
    jest.clearAllTimers();
    jest.useRealTimers();
  });

  it('asks etcd for whole seconds, rounded up, and renews the lease itself (no etcd3 keepalive loop)', () => {
    expect(new LeaseKeeper(etcd.asClient(), 2_000, 666).ttlSeconds).toBe(2);
    expect(new LeaseKeeper(etcd.asClient(), 2_001, 666).ttlSeconds).toBe(3);
    expect(new LeaseKeeper(etcd.asClient(), 10_500, 666).ttlSeconds).toBe(11);
    void keeper.start();
    expect(etcd.leases).toHaveLength(1);
    expect(etcd.leases[0].ttl).toBe(10);
    expect(etcd.leases[0].options).toEqual({ autoKeepAlive: false });
  });

  it('is not valid before its first grant', () => {
    expect(keeper.valid()).toBe(false);
    expect(keeper.remainingMs()).toBe(0);
    expect(keeper.msSinceContact()).toBe(Infinity);
    expect(keeper.current).toBeUndefined();
  });

  it('sets the deadline to the send time of the grant + TTL - margin', async () => {
    expect(await renewal('ok')).toBe('grant');
    expect(keeper.current).toBe(etcd.leases[0]);
    expect(keeper.remainingMs()).toBe(TTL_MS - MARGIN_MS);
    time += TTL_MS - MARGIN_MS - 1;
    expect(keeper.valid()).toBe(true);
    time += 1;
    expect(keeper.valid()).toBe(false);
    expect(keeper.remainingMs()).toBe(0);
  });

  it('counts a slow renewal from when it was SENT: an answer that comes late does not extend the deadline past send + TTL', async () => {
    await renewal('ok');
    time += 2_000;
    const sentAt = time;
    // etcd answers 6 s later: the lease was renewed somewhere in between, so only send + TTL is certain.
    expect(await renewal('ok', 6_000)).toBe('keepalive');
    expect(keeper.remainingMs()).toBe(sentAt + TTL_MS - MARGIN_MS - time);
    expect(keeper.remainingMs()).toBe(3_000);
    time += 3_000;
    expect(keeper.valid()).toBe(false);
  });

  it('ends the deadline at once when a renewal fails, although time was left, and keeps the lease for the next try', async () => {
    await renewal('ok');
    time += 1_000;
    expect(keeper.remainingMs()).toBe(8_000);
    expect(await renewal(new Error('deadline exceeded'))).toBe('keepalive');
    expect(keeper.remainingMs()).toBe(0);
    expect(keeper.valid()).toBe(false);
    expect(failures).toBe(1);
    // Not expired, only unanswered: the same lease is renewed next time.
    expect(etcd.leases[0].release).not.toHaveBeenCalled();
    expect(await renewal('ok')).toBe('keepalive');
    expect(etcd.leases).toHaveLength(1);
    expect(keeper.valid()).toBe(true);
    expect(renewals.at(-1)?.newLease).toBe(false);
  });

  it('drops an expired lease (EtcdLeaseInvalidError) and grants a new one at the next renewal, telling listeners newLease', async () => {
    await renewal('ok');
    const first = etcd.leases[0];
    expect(renewals).toEqual([{ gapMs: Infinity, newLease: true, lapsed: true }]);
    time += 500;
    await renewal('ok');
    expect(renewals.at(-1)).toMatchObject({ newLease: false });
    time += 500;
    await renewal(new EtcdLeaseInvalidError('1'));
    expect(keeper.valid()).toBe(false);
    expect(first.release).toHaveBeenCalled();
    expect(keeper.current).toBeUndefined();
    time += 500;
    expect(await renewal('ok')).toBe('grant');
    expect(etcd.leases).toHaveLength(2);
    expect(keeper.current).toBe(etcd.leases[1]);
    expect(renewals.at(-1)).toMatchObject({ newLease: true });
    expect(keeper.valid()).toBe(true);
  });

  it('drops a lease whose grant failed, and grants again at the next renewal', async () => {
    await renewal(new Error('UNAVAILABLE'));
    expect(etcd.leases[0].release).toHaveBeenCalled();
    expect(keeper.current).toBeUndefined();
    expect(failures).toBe(1);
    expect(await renewal('ok')).toBe('grant');
    expect(etcd.leases).toHaveLength(2);
    expect(renewals).toEqual([{ gapMs: Infinity, newLease: true, lapsed: true }]);
  });

  it('reports to listeners the gap since the previous contact, counted up to the answer', async () => {
    await renewal('ok');
    expect(keeper.msSinceContact()).toBe(0);
    time += 2_500;
    expect(keeper.msSinceContact()).toBe(2_500);
    await renewal('ok');
    expect(renewals.at(-1)).toEqual({ gapMs: 2_500, newLease: false, lapsed: false });
    // Failed renewals are no contact: the gap runs on.
    time += 2_500;
    await renewal(new Error('UNAVAILABLE'));
    time += 8_000;
    // Sent 10.5 s after the last contact, answered 1 s later: etcd was silent for 11.5 s, more than the TTL.
    await renewal('ok', 1_000);
    expect(renewals.at(-1)).toEqual({ gapMs: 11_500, newLease: false, lapsed: true });
    expect(keeper.msSinceContact()).toBe(0);
  });

  it('keeps the contact deadline (send time + TTL - margin) when a renewal fails: only time ends it', async () => {
    expect(keeper.inContact()).toBe(false);
    expect(keeper.contactRemainingMs()).toBe(-Infinity);
    await renewal('ok');
    time += 2_000;
    const sentAt = time;
    await renewal('ok', 3_000);
    // The same deadline as the lease's: counted from the send, not from the answer.
    expect(keeper.contactRemainingMs()).toBe(sentAt + TTL_MS - MARGIN_MS - time);
    expect(keeper.contactRemainingMs()).toBe(keeper.remainingMs());
    time += 1_000;
    await renewal(new Error('deadline exceeded'));
    // Leading stops at once; contact (what the write gate reads) lasts until the deadline.
    expect(keeper.valid()).toBe(false);
    expect(keeper.inContact()).toBe(true);
    expect(keeper.contactRemainingMs()).toBe(5_000);
    time += 4_999;
    expect(keeper.inContact()).toBe(true);
    time += 1;
    expect(keeper.inContact()).toBe(false);
    expect(keeper.contactRemainingMs()).toBe(0);
  });

  it('tells listeners a renewal came back after the contact deadline (lapsed), even when the gap since the last answer is shorter than the TTL', async () => {
    await renewal('ok');
    time += 5_000;
    // Sent 5 s after the last send, answered 4.5 s later: the deadline (9 s after the first send) passed meanwhile.
    await renewal('ok', 4_500);
    expect(renewals.at(-1)).toEqual({ gapMs: 9_500, newLease: false, lapsed: true });
    time += TTL_MS / 4;
    await renewal('ok', 100);
    expect(renewals.at(-1)).toMatchObject({ lapsed: false });
  });

  it('counts a new lease as lapsed: the old one expired, whatever the local deadline said', async () => {
    await renewal('ok');
    time += 500;
    await renewal(new EtcdLeaseInvalidError('1'));
    time += 500;
    await renewal('ok');
    expect(renewals.at(-1)).toMatchObject({ newLease: true, lapsed: true });
  });

  it('counts a gap that passes the TTL only while the renewal was on its way as a gap past the TTL', async () => {
    await renewal('ok');
    time += TTL_MS - 500;
    await renewal('ok', 1_000);
    // The write gate re-reads the topology after a gap longer than the TTL; this one was one.
    expect(renewals.at(-1)?.gapMs).toBeGreaterThan(TTL_MS);
  });

  it('renews every quarter of the TTL, every eighth while renewals fail', async () => {
    const started = keeper.start();
    etcd.answer('ok');
    // start() awaits the grant; the next renewal is due in TTL / 4.
    await started;
    expect(etcd.calls).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(TTL_MS / 4 - 1);
    expect(etcd.calls).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(etcd.calls.map((call) => call.kind)).toEqual(['keepalive']);
    etcd.answer(new Error('UNAVAILABLE'));
    await jest.advanceTimersByTimeAsync(TTL_MS / 8 - 1);
    expect(etcd.calls).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(etcd.calls).toHaveLength(1);
  });

  it('stop() revokes the lease, ends the deadline and schedules nothing more', async () => {
    await renewal('ok');
    expect(keeper.valid()).toBe(true);
    await keeper.stop();
    expect(etcd.leases[0].revoke).toHaveBeenCalledWith({ deadline: expect.any(Number) });
    expect(keeper.valid()).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('stays stopped when a renewal that was on its way when stop() ran comes back', async () => {
    await renewal('ok');
    time += 1_000;
    const late = keeper.renew();
    await keeper.stop();
    etcd.answer('ok');
    await late;
    // The lease was revoked: whatever etcd answered to the keepalive, it cannot be relied on.
    expect(keeper.valid()).toBe(false);
    expect(renewals).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
  });
});
