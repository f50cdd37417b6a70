import { Logger } from '@nestjs/common';
import { RecordingEventBus } from '../../../test/support/failover-fakes';
import type { DatabaseTopology } from '../../database/topology/database-topology';
import { type TopologyState, initialTopologyState } from '../../database/topology/topology-state';
import { EtcdWriteGate, type WriteGateEffects } from './etcd-write-gate';
import type { FailsafeProbe, FailsafeResult } from './failsafe-probe';
import type { LeaseKeeper, Renewal } from './lease-keeper';

const TTL_MS = 2_000;
/** LeaseKeeper's margin for this TTL: max(250, 10%). */
const MARGIN_MS = 250;
/** The gate checks itself at least this often (TTL / 8). */
const PERIOD_MS = TTL_MS / 8;

/**
 * What the gate reads of the keeper, on jest's clock: the contact deadline (send time of the
 * last successful renewal + TTL − margin), the silence, the renewals.
 */
class FakeKeeper {
  readonly ttlMs = TTL_MS;
  private lastContact = -Infinity;
  private contactUntil = -Infinity;
  private readonly listeners: ((renewal: Renewal) => void)[] = [];

  msSinceContact(): number {
    return Date.now() - this.lastContact;
  }

  contactRemainingMs(): number {
    return this.contactUntil - Date.now();
  }

  inContact(): boolean {
    return this.contactRemainingMs() > 0;
  }

  onRenewed(listener: (renewal: Renewal) => void): void {
    this.listeners.push(listener);
  }

  /** The first grant, answered before the gate starts (as at start-up): no listener hears it. */
  granted(): void {
    this.lastContact = Date.now();
    this.contactUntil = Date.now() + TTL_MS - MARGIN_MS;
  }

  /** etcd answered now a renewal sent `sentAgoMs` ago. */
  renewed(sentAgoMs = 0): void {
    const now = Date.now();
    const renewal = { gapMs: now - this.lastContact, newLease: false, lapsed: now >= this.contactUntil };
    this.lastContact = now;
    this.contactUntil = now - sentAgoMs + TTL_MS - MARGIN_MS;
    for (const listener of this.listeners) listener(renewal);
  }
}

/** A topology whose refresh() the test answers when it chooses. */
class FakeTopology {
  private answers: { resolve: (state: TopologyState) => void; reject: (error: unknown) => void }[] = [];
  readonly refresh = jest.fn(
    () => new Promise<TopologyState>((resolve, reject) => this.answers.push({ resolve, reject })),
  );

  primaryEndpoint() {
    return { host: 'db1', port: 3306, user: 'app', password: 'secret' };
  }

  async answer(outcome: 'ok' | Error): Promise<void> {
    const pending = this.answers.shift();
    if (!pending) throw new Error('no refresh is waiting');
    if (outcome === 'ok') pending.resolve(initialTopologyState('db1:3306', new Date()));
    else pending.reject(outcome);
    await flush();
  }
}

/** The app's pool as the gate sees it; `reopenedBy` is the failover monitor when one runs. */
class FakePool {
  isOpen = true;
  reopenedBy: string | null = 'failover monitor';
  readonly close = jest.fn(async (_options?: { abandon?: boolean }) => void (this.isOpen = false));
  readonly open = jest.fn(async (_endpoint: unknown, _options?: { attempts?: number }) => void (this.isOpen = true));
}

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('EtcdWriteGate', () => {
  let keeper: FakeKeeper;
  let topology: FakeTopology;
  let pool: FakePool;
  let events: RecordingEventBus;
  let failsafe: FailsafeResult | null;
  let started: EtcdWriteGate[];

  function gate(withFailsafe = false): EtcdWriteGate {
    const probe = withFailsafe ? ({ confirmed: () => failsafe } as unknown as FailsafeProbe) : null;
    const effects: WriteGateEffects = {
      pool,
      events: events.asBus(),
      nodeId: 'node-c',
    };
    const g = new EtcdWriteGate(
      keeper as unknown as LeaseKeeper,
      topology as unknown as DatabaseTopology,
      probe,
      effects,
    );
    started.push(g);
    return g;
  }

  /** A gate that reached etcd at start and read the topology: writes allowed. */
  async function openGate(withFailsafe = false): Promise<EtcdWriteGate> {
    keeper.granted();
    const g = gate(withFailsafe);
    g.start();
    await topology.answer('ok');
    expect(g.verdict()).toEqual({ allowed: true, via: 'etcd' });
    return g;
  }

  /** Moves the clock as a paused process sees it: no timer runs meanwhile (SIGSTOP, a long GC). */
  function pausedFor(ms: number): void {
    jest.setSystemTime(Date.now() + ms);
  }

  const lost = () => events.emitted.filter((event) => event.name === 'cluster.etcd-lost');

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    keeper = new FakeKeeper();
    topology = new FakeTopology();
    pool = new FakePool();
    events = new RecordingEventBus();
    failsafe = null;
    started = [];
  });

  afterEach(() => {
    for (const g of started) g.stop();
    jest.useRealTimers();
  });

  it('refuses writes while etcd was never reached, naming etcd, and drops no pool', async () => {
    const g = gate();
    g.start();
    expect(topology.refresh).not.toHaveBeenCalled();
    const verdict = g.verdict();
    expect(verdict.allowed).toBe(false);
    expect(!verdict.allowed && verdict.reason).toMatch(/has not reached etcd since start/);
    await jest.advanceTimersByTimeAsync(TTL_MS * 2);
    // Never open, so nothing to stop: reads go on; and etcd was never "lost", only never reached.
    expect(pool.close).not.toHaveBeenCalled();
    expect(events.emitted).toEqual([]);
  });

  it('reads the topology at start when etcd answered, and allows writes only once that read is done', async () => {
    keeper.granted();
    const g = gate();
    g.start();
    expect(topology.refresh).toHaveBeenCalledTimes(1);
    expect(g.verdict()).toEqual({ allowed: false, reason: expect.stringMatching(/re-reading the topology/) });
    await topology.answer('ok');
    expect(g.verdict()).toEqual({ allowed: true, via: 'etcd' });
  });

  it('closes at the lease’s deadline: the SEND time of the last renewal + TTL − margin, not TTL after its answer', async () => {
    const g = await openGate();
    await jest.advanceTimersByTimeAsync(500);
    // A renewal sent now, answered 1 s later: etcd counts the lease from somewhere in between.
    const sentAt = Date.now();
    await jest.advanceTimersByTimeAsync(1_000);
    keeper.renewed(1_000);
    const deadline = sentAt + TTL_MS - MARGIN_MS;
    await jest.advanceTimersByTimeAsync(deadline - Date.now() - 1);
    expect(g.verdict()).toEqual({ allowed: true, via: 'etcd' });
    await jest.advanceTimersByTimeAsync(1);
    const verdict = g.verdict();
    expect(verdict.allowed).toBe(false);
    expect(!verdict.allowed && verdict.reason).toMatch(/has not reached etcd for 1 s.*CLUSTER_LEASE_TTL_MS/);
  });

  it('drops the app pool (abandoning it) on its own at the deadline, without a request, so commits in flight fail', async () => {
    await openGate();
    await jest.advanceTimersByTimeAsync(PERIOD_MS / 2);
    keeper.renewed(0);
    const deadline = Date.now() + TTL_MS - MARGIN_MS;
    // Not a multiple of the period away: the timer is due at the deadline itself.
    await jest.advanceTimersByTimeAsync(deadline - Date.now() - 1);
    expect(pool.close).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(pool.close).toHaveBeenCalledTimes(1);
    expect(pool.close).toHaveBeenCalledWith({ abandon: true });
    expect(lost()).toEqual([
      { name: 'cluster.etcd-lost', payload: { node: 'node-c', silentMs: TTL_MS - MARGIN_MS, failsafe: false } },
    ]);
    // Once per closing, however long it stays closed.
    await jest.advanceTimersByTimeAsync(TTL_MS * 3);
    expect(pool.close).toHaveBeenCalledTimes(1);
    expect(lost()).toHaveLength(1);
  });

  it('a pool the monitor reopened while closed serves reads only: writes stay refused until etcd answers and the topology was read', async () => {
    const g = await openGate();
    await jest.advanceTimersByTimeAsync(TTL_MS);
    expect(pool.close).toHaveBeenCalledTimes(1);
    // The failover monitor's next tick: the primary answers, the pool is reopened there.
    pool.isOpen = true;
    await jest.advanceTimersByTimeAsync(TTL_MS);
    expect(g.verdict().allowed).toBe(false);
    // Reopened by the monitor, not by the gate; and not dropped again while the gate stays closed.
    expect(pool.open).not.toHaveBeenCalled();
    expect(pool.close).toHaveBeenCalledTimes(1);
    keeper.renewed(0);
    expect(g.verdict()).toEqual({ allowed: false, reason: expect.stringMatching(/re-reading the topology first/) });
    await topology.answer('ok');
    expect(g.verdict()).toEqual({ allowed: true, via: 'etcd' });
    expect(pool.close).toHaveBeenCalledTimes(1);
  });

  it('reopens the pool itself when no failover monitor does (no DB_ADMIN_USER), writes still refused', async () => {
    pool.reopenedBy = null;
    const g = await openGate();
    await jest.advanceTimersByTimeAsync(TTL_MS - MARGIN_MS);
    expect(pool.close).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(PERIOD_MS);
    expect(pool.open).toHaveBeenCalledTimes(1);
    expect(pool.open).toHaveBeenCalledWith(topology.primaryEndpoint(), { attempts: 1 });
    expect(g.verdict().allowed).toBe(false);
    await jest.advanceTimersByTimeAsync(TTL_MS);
    expect(pool.open).toHaveBeenCalledTimes(1);
  });

  it('stays closed after etcd comes back until the topology was read again, then reports etcd regained', async () => {
    const g = await openGate();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(g.verdict().allowed).toBe(false);
    keeper.renewed(0);
    expect(topology.refresh).toHaveBeenCalledTimes(2);
    // etcd answers again, but a failover may have happened during the gap: not yet.
    expect(g.verdict()).toEqual({ allowed: false, reason: expect.stringMatching(/re-reading the topology first/) });
    expect(events.names()).toEqual(['cluster.etcd-lost']);
    await topology.answer('ok');
    expect(g.verdict()).toEqual({ allowed: true, via: 'etcd' });
    expect(events.emitted.at(-1)).toEqual({
      name: 'cluster.etcd-regained',
      payload: { node: 'node-c', silentMs: 5_000 },
    });
  });

  it('woken after a pause past the deadline (no timer ran), the late renewal closes the gate and drops the pool', async () => {
    const g = await openGate();
    pausedFor(TTL_MS + 500);
    keeper.renewed(0);
    expect(g.verdict()).toEqual({ allowed: false, reason: expect.stringMatching(/re-reading/) });
    expect(pool.close).toHaveBeenCalledWith({ abandon: true });
    expect(lost()).toEqual([
      { name: 'cluster.etcd-lost', payload: { node: 'node-c', silentMs: TTL_MS + 500, failsafe: false } },
    ]);
    await topology.answer('ok');
    expect(g.verdict().allowed).toBe(true);
  });

  it('does not re-read, close or report after ordinary renewals', async () => {
    const g = await openGate();
    for (let i = 0; i < 8; i++) {
      await jest.advanceTimersByTimeAsync(TTL_MS / 4);
      keeper.renewed(0);
    }
    expect(topology.refresh).toHaveBeenCalledTimes(1);
    expect(g.verdict()).toEqual({ allowed: true, via: 'etcd' });
    expect(pool.close).not.toHaveBeenCalled();
    expect(events.emitted).toEqual([]);
  });

  it('stays closed when the re-read fails, and tries again at the next renewal', async () => {
    const g = await openGate();
    await jest.advanceTimersByTimeAsync(3_000);
    expect(g.verdict().allowed).toBe(false);
    keeper.renewed(0);
    await topology.answer(new Error('etcd: deadline exceeded'));
    expect(g.verdict()).toEqual({ allowed: false, reason: expect.stringMatching(/re-reading/) });
    // An ordinary renewal now: the topology is still unread since the gap.
    await jest.advanceTimersByTimeAsync(500);
    keeper.renewed(0);
    expect(topology.refresh).toHaveBeenCalledTimes(3);
    expect(g.verdict().allowed).toBe(false);
    expect(events.names()).toEqual(['cluster.etcd-lost']);
    await topology.answer('ok');
    expect(g.verdict()).toEqual({ allowed: true, via: 'etcd' });
    expect(events.names()).toEqual(['cluster.etcd-lost', 'cluster.etcd-regained']);
  });

  it('runs one re-read at a time', async () => {
    const g = await openGate();
    pausedFor(5_000);
    keeper.renewed(0);
    pausedFor(5_000);
    keeper.renewed(0);
    expect(topology.refresh).toHaveBeenCalledTimes(2);
    await topology.answer('ok');
    expect(g.verdict().allowed).toBe(true);
  });

  it('stop() ends its timer', async () => {
    const g = await openGate();
    g.stop();
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(TTL_MS * 2);
    expect(pool.close).not.toHaveBeenCalled();
  });

  describe('with the failsafe (CLUSTER_FAILSAFE=true)', () => {
    it('allows writes without etcd while the failsafe is confirmed, keeping the pool, and reports etcd lost', async () => {
      const g = await openGate(true);
      failsafe = { confirmed: true, reason: 'every known node answers', checkedAt: 0 };
      await jest.advanceTimersByTimeAsync(10_000);
      expect(g.verdict()).toEqual({ allowed: true, via: 'failsafe' });
      expect(pool.close).not.toHaveBeenCalled();
      expect(lost()).toEqual([
        { name: 'cluster.etcd-lost', payload: { node: 'node-c', silentMs: TTL_MS - MARGIN_MS, failsafe: true } },
      ]);
    });

    it('refuses writes with the failsafe’s reason when it is not confirmed', async () => {
      const g = await openGate(true);
      failsafe = { confirmed: false, reason: 'node-b did not answer (timeout)', checkedAt: 0 };
      pausedFor(10_000);
      const verdict = g.verdict();
      expect(verdict.allowed).toBe(false);
      expect(!verdict.allowed && verdict.reason).toMatch(
        /has not reached etcd for 10 s.*failsafe not confirmed: node-b did not answer/,
      );
    });

    it('drops the pool when the failsafe stops confirming', async () => {
      const g = await openGate(true);
      failsafe = { confirmed: true, reason: 'every known node answers', checkedAt: 0 };
      await jest.advanceTimersByTimeAsync(TTL_MS);
      expect(pool.close).not.toHaveBeenCalled();
      failsafe = { confirmed: false, reason: 'node-b did not answer (timeout)', checkedAt: 0 };
      await jest.advanceTimersByTimeAsync(PERIOD_MS);
      expect(pool.close).toHaveBeenCalledWith({ abandon: true });
      expect(g.verdict().allowed).toBe(false);
    });

    it('still re-reads the topology when etcd comes back after a failsafe period', async () => {
      const g = await openGate(true);
      failsafe = { confirmed: true, reason: 'every known node answers', checkedAt: 0 };
      await jest.advanceTimersByTimeAsync(10_000);
      expect(g.verdict().allowed).toBe(true);
      keeper.renewed(0);
      expect(g.verdict().allowed).toBe(false);
      await topology.answer('ok');
      expect(g.verdict()).toEqual({ allowed: true, via: 'etcd' });
    });
  });
});
