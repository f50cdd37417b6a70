import type { PendingFailover } from '../../database/topology/topology-state';
import { decideInterrupted, journalStep } from './interrupted-failover';
import { withFenceApplied, withJournalStep } from './failover-journal';
import { initialTopologyState } from '../../database/topology/topology-state';

const P = '127.0.0.1:1';
const S = '127.0.0.1:2';

function intent(step?: PendingFailover['step']): PendingFailover {
  return { id: 'fo-x', candidate: S, oldPrimary: P, startedAt: '2026-11-27T12:00:00.000Z', by: null, step };
}

describe('decideInterrupted (the journal of an interrupted failover)', () => {
  const before = ['record-intent', 'stop-io-thread', 'detach-from-old-primary', 'persist-topology'] as const;

  it('does nothing without an intent', () => {
    expect(decideInterrupted({ state: { primary: P, pending: null }, primaryReachable: true, blocked: null })).toEqual({
      kind: 'none',
    });
  });

  it.each(before)(
    'before the point of no return (%s, topology unchanged): rolls back while the old primary answers',
    (step) => {
      const state = { primary: P, pending: intent(step) };
      expect(decideInterrupted({ state, primaryReachable: true, blocked: null }).kind).toBe('roll-back');
    },
  );

  it.each(before)(
    'before the point of no return (%s): resumes on the same candidate while the old primary is dead',
    (step) => {
      const state = { primary: P, pending: intent(step) };
      expect(decideInterrupted({ state, primaryReachable: false, blocked: null }).kind).toBe('resume');
    },
  );

  it.each(['enable-writes', 'repoint-standbys'] as const)(
    'past the point of no return (%s, the topology names the candidate): finishes, whatever the old primary does',
    (step) => {
      const state = { primary: S, pending: intent(step) };
      const decision = decideInterrupted({ state, primaryReachable: true, blocked: null });
      expect(decision).toMatchObject({ kind: 'finish', reason: expect.stringContaining('point of no return') });
    },
  );

  it('a persisted candidate that does not answer is waited for (a new failover replaces a dead primary)', () => {
    const state = { primary: S, pending: intent('enable-writes') };
    expect(decideInterrupted({ state, primaryReachable: false, blocked: null }).kind).toBe('wait');
  });

  it('an intent about a primary the topology no longer names is discarded', () => {
    const state = { primary: '127.0.0.1:3', pending: intent('stop-io-thread') };
    expect(decideInterrupted({ state, primaryReachable: true, blocked: null }).kind).toBe('discard');
  });

  it('waits while this node may not act (maintenance, a follower, a refusal, a change running)', () => {
    const state = { primary: S, pending: intent('enable-writes') };
    expect(decideInterrupted({ state, primaryReachable: true, blocked: 'maintenance mode' })).toEqual({
      kind: 'wait',
      reason: 'maintenance mode',
    });
  });

  it('reads an intent written before the journal existed as record-intent', () => {
    expect(journalStep(intent(undefined))).toBe('record-intent');
  });
});

describe('withJournalStep', () => {
  const now = new Date('2026-11-27T12:00:01Z');

  it("moves this failover's journal and stamps it", () => {
    const state = { ...initialTopologyState(P, now), pending: intent('record-intent') };
    expect(withJournalStep(state, 'fo-x', 'stop-io-thread', now).pending).toMatchObject({
      step: 'stop-io-thread',
      stepAt: '2026-11-27T12:00:01.000Z',
    });
  });

  it("never writes over another failover's journal, nor creates one", () => {
    const state = { ...initialTopologyState(P, now), pending: intent('record-intent') };
    expect(withJournalStep(state, 'fo-other', 'stop-io-thread', now)).toBe(state);
    const empty = initialTopologyState(P, now);
    expect(withJournalStep(empty, 'fo-x', 'stop-io-thread', now)).toBe(empty);
  });
});

describe('withFenceApplied', () => {
  const now = new Date('2026-11-27T12:00:01Z');

  it("notes the fence in this failover's intent only", () => {
    const state = { ...initialTopologyState(P, now), pending: intent('stop-io-thread') };
    expect(withFenceApplied(state, 'fo-x').pending).toMatchObject({ fencedOldPrimary: true, step: 'stop-io-thread' });
    expect(withFenceApplied(state, 'fo-other')).toBe(state);
  });
});
