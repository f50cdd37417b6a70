import { Logger } from '@nestjs/common';
import type { DatabaseTopology } from '../../database/topology/database-topology';
import { type TopologyState, initialTopologyState } from '../../database/topology/topology-state';
import { EtcdWriteGate } from './etcd-write-gate';
import type { FailsafeProbe, FailsafeResult } from './failsafe-probe';
import type { LeaseKeeper, Renewal } from './lease-keeper';

const TTL_MS = 2_000;

/** What the gate reads of the keeper: the silence, the TTL, the renewals. */
class FakeKeeper {
  readonly ttlMs = TTL_MS;
  silentMs = Infinity;
  private readonly listeners: ((renewal: Renewal) => void)[] = [];

  msSinceContact(): number {
    return this.silentMs;
  }

  onRenewed(listener: (renewal: Renewal) => void): void {
    this.listeners.push(listener);
  }

  /** etcd answered a renewal after `gapMs` of silence. */
  renewed(gapMs: number): void {
    this.silentMs = 0;
    for (const listener of this.listeners) listener({ gapMs, newLease: false });
  }
}

/** A topology whose refresh() the test answers when it chooses. */
class FakeTopology {
  private answers: { resolve: (state: TopologyState) => void; reject: (error: unknown) => void }[] = [];
  readonly refresh = jest.fn(
    () => new Promise<TopologyState>((resolve, reject) => this.answers.push({ resolve, reject })),
  );

  async answer(outcome: 'ok' | Error): Promise<void> {
    const pending = this.answers.shift();
    if (!pending) throw new Error('no refresh is waiting');
    if (outcome === 'ok') pending.resolve(initialTopologyState('db1:3306', new Date()));
    else pending.reject(outcome);
    await flush();
  }
}

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('EtcdWriteGate', () => {
  let keeper: FakeKeeper;
  let topology: FakeTopology;
  let failsafe: FailsafeResult | null;

  function gate(withFailsafe = false): EtcdWriteGate {
    const probe = withFailsafe ? ({ confirmed: () => failsafe } as unknown as FailsafeProbe) : null;
    return new EtcdWriteGate(keeper as unknown as LeaseKeeper, topology as unknown as DatabaseTopology, probe);
  }

  /** A gate that reached etcd at start and read the topology: writes allowed. */
  async function openGate(withFailsafe = false): Promise<EtcdWriteGate> {
    keeper.silentMs = 0;
    const g = gate(withFailsafe);
    g.start();
    await topology.answer('ok');
    expect(g.verdict()).toEqual({ allowed: true, via: 'etcd' });
    return g;
  }

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    keeper = new FakeKeeper();
    topology = new FakeTopology();
    failsafe = null;
  });

  it('refuses writes while etcd was never reached, naming etcd', () => {
    const g = gate();
    g.start();
    expect(topology.refresh).not.toHaveBeenCalled();
    const verdict = g.verdict();
    expect(verdict.allowed).toBe(false);
    expect(!verdict.allowed && verdict.reason).toMatch(/has not reached etcd since start/);
  });

  it('reads the topology at start when etcd answered, and allows writes only once that read is done', async () => {
    keeper.silentMs = 0;
    const g = gate();
    g.start();
    expect(topology.refresh).toHaveBeenCalledTimes(1);
    expect(g.verdict()).toEqual({ allowed: false, reason: expect.stringMatching(/re-reading the topology/) });
    await topology.answer('ok');
    expect(g.verdict()).toEqual({ allowed: true, via: 'etcd' });
  });

  it('refuses writes once etcd was silent for longer than the TTL, with a reason naming etcd and the time', async () => {
    const g = await openGate();
    keeper.silentMs = TTL_MS;
    expect(g.verdict()).toEqual({ allowed: true, via: 'etcd' });
    keeper.silentMs = TTL_MS + 1;
    const verdict = g.verdict();
    expect(verdict.allowed).toBe(false);
    expect(!verdict.allowed && verdict.reason).toMatch(/has not reached etcd for 2 s.*CLUSTER_LEASE_TTL_MS/);
  });

  it('stays closed after etcd comes back until the topology was read again', async () => {
    const g = await openGate();
    keeper.silentMs = 5_000;
    expect(g.verdict().allowed).toBe(false);
    keeper.renewed(5_000);
    expect(topology.refresh).toHaveBeenCalledTimes(2);
    // etcd answers again, but a failover may have happened during the gap: not yet.
    expect(g.verdict()).toEqual({ allowed: false, reason: expect.stringMatching(/re-reading the topology first/) });
    await topology.answer('ok');
    expect(g.verdict()).toEqual({ allowed: true, via: 'etcd' });
  });

  it('re-reads after a gap past the TTL that no request saw (the renewal reports it)', async () => {
    const g = await openGate();
    keeper.renewed(TTL_MS + 500);
    expect(g.verdict().allowed).toBe(false);
    await topology.answer('ok');
    expect(g.verdict().allowed).toBe(true);
  });

  it('does not re-read after an ordinary renewal', async () => {
    const g = await openGate();
    keeper.renewed(TTL_MS / 4);
    keeper.renewed(TTL_MS);
    expect(topology.refresh).toHaveBeenCalledTimes(1);
    expect(g.verdict()).toEqual({ allowed: true, via: 'etcd' });
  });

  it('stays closed when the re-read fails, and tries again at the next renewal', async () => {
    const g = await openGate();
    keeper.silentMs = 3_000;
    expect(g.verdict().allowed).toBe(false);
    keeper.renewed(3_000);
    await topology.answer(new Error('etcd: deadline exceeded'));
    expect(g.verdict()).toEqual({ allowed: false, reason: expect.stringMatching(/re-reading/) });
    // An ordinary renewal now: the topology is still unread since the gap.
    keeper.renewed(500);
    expect(topology.refresh).toHaveBeenCalledTimes(3);
    expect(g.verdict().allowed).toBe(false);
    await topology.answer('ok');
    expect(g.verdict()).toEqual({ allowed: true, via: 'etcd' });
  });

  it('runs one re-read at a time', async () => {
    const g = await openGate();
    keeper.renewed(5_000);
    keeper.renewed(5_000);
    expect(topology.refresh).toHaveBeenCalledTimes(2);
    await topology.answer('ok');
    expect(g.verdict().allowed).toBe(true);
  });

  describe('with the failsafe (CLUSTER_FAILSAFE=true)', () => {
    it('allows writes without etcd while the failsafe is confirmed', async () => {
      const g = await openGate(true);
      keeper.silentMs = 10_000;
      failsafe = { confirmed: true, reason: 'every known node answers', checkedAt: 0 };
      expect(g.verdict()).toEqual({ allowed: true, via: 'failsafe' });
    });

    it('refuses writes with the failsafe’s reason when it is not confirmed', async () => {
      const g = await openGate(true);
      keeper.silentMs = 10_000;
      failsafe = { confirmed: false, reason: 'node-b did not answer (timeout)', checkedAt: 0 };
      const verdict = g.verdict();
      expect(verdict.allowed).toBe(false);
      expect(!verdict.allowed && verdict.reason).toMatch(
        /has not reached etcd for 10 s.*failsafe not confirmed: node-b did not answer/,
      );
    });

    it('still re-reads the topology when etcd comes back after a failsafe period', async () => {
      const g = await openGate(true);
      keeper.silentMs = 10_000;
      failsafe = { confirmed: true, reason: 'every known node answers', checkedAt: 0 };
      expect(g.verdict().allowed).toBe(true);
      keeper.renewed(10_000);
      expect(g.verdict().allowed).toBe(false);
      await topology.answer('ok');
      expect(g.verdict()).toEqual({ allowed: true, via: 'etcd' });
    });
  });
});
