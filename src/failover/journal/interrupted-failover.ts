import type { JournalStep, PendingFailover, TopologyState } from '../../database/topology/topology-state';

/**
 * What to do about a failover that a previous run (this node before a crash, or a deposed
 * leader) left part-way, judged from the journal (PendingFailover.step) and the topology.
 *
 * The point of no return is `persist-topology`: the write that names the candidate as the
 * primary, with epoch + 1 and the old primary fenced. It is one atomic write of the state
 * that also holds the journal, so after any crash the state itself says which side of it
 * the failover stopped on:
 *
 * - before it (`record-intent`, `stop-io-thread`, `detach-from-old-primary`, and
 *   `persist-topology` written but not the topology itself): nothing was promised to
 *   anyone; the candidate is still read-only. If the old primary answers, the failover is
 *   ROLLED BACK: the candidate replicates from it again (both threads; re-pointed when it
 *   was detached) and the intent is cleared. If it does not, the failover is RESUMED on the
 *   same candidate once the primary has missed FAILURE_THRESHOLD heartbeats (the candidate
 *   stopped replicating, so it cannot confirm the death again);
 * - past it (`enable-writes`, `repoint-standbys`): the topology names the candidate, every
 *   node and every restart connects there, the old primary is fenced. The failover is
 *   FINISHED: writes enabled (again: idempotent), the standbys re-pointed, the epoch
 *   recorded, the intent cleared. Never undone, even when the old primary is back: it is
 *   fenced (read-only) and its returns are an operator's (or automatic rejoin's) business.
 */
export type InterruptedAction =
  | { kind: 'none' }
  | { kind: 'wait'; reason: string }
  | { kind: 'finish'; reason: string }
  | { kind: 'roll-back'; reason: string }
  | { kind: 'resume'; reason: string }
  | { kind: 'discard'; reason: string };

export interface InterruptedInput {
  state: Pick<TopologyState, 'primary' | 'pending'>;
  /** The topology's primary answered this tick's heartbeat. */
  primaryReachable: boolean;
  /** Why this node may not act on the servers now (a follower, maintenance, a refusal, a change running); null: it may. */
  blocked: string | null;
}

/** The step an intent reached; an intent written before the journal existed says nothing more than its existence. */
export function journalStep(pending: PendingFailover): JournalStep {
  return pending.step ?? 'record-intent';
}

export function decideInterrupted(input: InterruptedInput): InterruptedAction {
  const pending = input.state.pending;
  if (!pending) return { kind: 'none' };
  const step = journalStep(pending);
  if (input.blocked) return { kind: 'wait', reason: input.blocked };
  if (pending.candidate === input.state.primary) {
    // Past the point of no return. A candidate that does not answer is the primary now: a new failover replaces it.
    if (!input.primaryReachable)
      return { kind: 'wait', reason: `the new primary ${pending.candidate} does not answer (journal at ${step})` };
    return {
      kind: 'finish',
      reason: `the topology names ${pending.candidate} (journal at ${step}): past the point of no return`,
    };
  }
  if (pending.oldPrimary !== input.state.primary) {
    // The primary changed since (an operator, another leader): the intent is about a topology that no longer is.
    return { kind: 'discard', reason: `the intent is about ${pending.oldPrimary}, no longer the primary` };
  }
  if (input.primaryReachable)
    return {
      kind: 'roll-back',
      reason: `the old primary answers and the topology was not changed (journal at ${step})`,
    };
  return { kind: 'resume', reason: `the old primary still does not answer (journal at ${step})` };
}
