import { Logger } from '@nestjs/common';
import type { ClusterNode } from '../leadership';
import type { PeerAnswer, PeerClient } from '../peer-client';
import { FailsafeProbe, type PeerReport } from './failsafe-probe';
import type { NodeRegistry } from './node-registry';

const MAX_AGE_MS = 500;
const EPOCH = 3;

function node(nodeId: string): ClusterNode {
  return {
    nodeId,
    address: `http://${nodeId}:8080`,
    version: '0.1.0',
    startedAt: '2026-01-01T00:00:00Z',
    lastSeenAt: '2026-01-01T00:00:00Z',
  };
}

function report(nodeId: string, changes: Partial<PeerReport> = {}): PeerAnswer {
  return { status: 200, headers: {}, body: { nodeId, epoch: EPOCH, etcdReachable: false, leading: false, ...changes } };
}

describe('FailsafeProbe', () => {
  let time: number;
  let known: ClusterNode[];
  /** What each address answers; an Error: the call fails (timeout, refused). */
  let answers: Record<string, PeerAnswer | Error>;
  let call: jest.Mock<Promise<PeerAnswer>, [string, string, { timeoutMs: number }]>;
  let probe: FailsafeProbe;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    time = 10_000;
    known = [node('node-a'), node('node-b'), node('node-c')];
    answers = {
      'http://node-b:8080': report('node-b'),
      'http://node-c:8080': report('node-c'),
    };
    call = jest.fn<Promise<PeerAnswer>, [string, string, { timeoutMs: number }]>(async (address) => {
      const answer = answers[address];
      if (answer === undefined) throw new Error(`nobody called ${address} expected`);
      if (answer instanceof Error) throw answer;
      return answer;
    });
    const registry = {
      get lastKnown() {
        return known;
      },
    } as unknown as NodeRegistry;
    probe = new FailsafeProbe(
      registry,
      { call } as unknown as PeerClient,
      'node-a',
      () => EPOCH,
      MAX_AGE_MS,
      () => time,
    );
  });

  it('is confirmed when every other known node answers 200, does not reach etcd, and is at the same epoch', async () => {
    const result = await probe.check();
    expect(result).toEqual({ confirmed: true, reason: 'every known node answers', checkedAt: time });
    // This node is not asked; the others on their peer route.
    expect(call.mock.calls.map(([address, path]) => [address, path])).toEqual([
      ['http://node-b:8080', '/api/v1/cluster/peer'],
      ['http://node-c:8080', '/api/v1/cluster/peer'],
    ]);
    expect(call.mock.calls[0][2].timeoutMs).toBeGreaterThan(0);
  });

  it.each<[string, () => void, RegExp]>([
    [
      'one node is silent',
      () => (answers['http://node-c:8080'] = new Error('connect ECONNREFUSED')),
      /node-c did not answer \(connect ECONNREFUSED\)/,
    ],
    [
      'one node still reaches etcd',
      () => (answers['http://node-b:8080'] = report('node-b', { etcdReachable: true })),
      /node-b still reaches etcd/,
    ],
    [
      'one node is at another epoch',
      () => (answers['http://node-b:8080'] = report('node-b', { epoch: EPOCH + 1 })),
      /node-b is at epoch 4, this node at 3/,
    ],
    [
      'one node answers with an error',
      () => (answers['http://node-c:8080'] = { status: 503, headers: {}, body: { code: 'X' } }),
      /node-c answered 503/,
    ],
  ])('is not confirmed when %s, naming that node', async (_case, change, reason) => {
    change();
    const result = await probe.check();
    expect(result.confirmed).toBe(false);
    expect(result.reason).toMatch(reason);
  });

  it('names every node that fails', async () => {
    answers['http://node-b:8080'] = report('node-b', { etcdReachable: true });
    answers['http://node-c:8080'] = new Error('timeout');
    const result = await probe.check();
    expect(result.reason).toMatch(/node-b still reaches etcd; node-c did not answer/);
  });

  it('is not confirmed while this node never read the list of nodes from etcd', async () => {
    // Started while etcd was down: no peer was ever known, so "every known node answers" proves nothing.
    known = [];
    const result = await probe.check();
    expect(result.confirmed).toBe(false);
    expect(result.reason).toMatch(/never read the list of nodes/);
  });

  describe('confirmed() (what the write gate asks on every request)', () => {
    it('counts as not confirmed before any check, and starts one', async () => {
      expect(probe.confirmed()).toMatchObject({ confirmed: false, reason: 'not checked yet' });
      expect(call).toHaveBeenCalledTimes(2);
      await new Promise((resolve) => setImmediate(resolve));
      expect(probe.confirmed()).toMatchObject({ confirmed: true });
      // Fresh: no new check.
      expect(call).toHaveBeenCalledTimes(2);
    });

    it('checks again once the result is older than maxAge, still trusting it up to twice that', async () => {
      await probe.check();
      expect(call).toHaveBeenCalledTimes(2);
      time += MAX_AGE_MS;
      expect(probe.confirmed().confirmed).toBe(true);
      expect(call).toHaveBeenCalledTimes(2);
      // Node c stops answering: the stale result starts a re-check that finds out.
      answers['http://node-c:8080'] = new Error('timeout');
      time += 1;
      expect(probe.confirmed().confirmed).toBe(true);
      expect(call).toHaveBeenCalledTimes(4);
      await new Promise((resolve) => setImmediate(resolve));
      const result = probe.confirmed();
      expect(result.confirmed).toBe(false);
      expect(result.reason).toMatch(/node-c did not answer/);
    });

    it('does not trust a confirmation older than twice maxAge while the re-check runs', async () => {
      await probe.check();
      const later: ((answer: PeerAnswer) => void)[] = [];
      call.mockImplementation(() => new Promise<PeerAnswer>((resolve) => later.push(resolve)));
      time += 2 * MAX_AGE_MS + 1;
      expect(probe.confirmed().confirmed).toBe(false);
      expect(later).toHaveLength(2);
      for (const [i, answer] of later.entries()) answer(report(['node-b', 'node-c'][i]));
      await new Promise((resolve) => setImmediate(resolve));
      expect(probe.confirmed().confirmed).toBe(true);
    });
  });
});
