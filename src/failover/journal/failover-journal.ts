import type { JournalStep, TopologyState } from '../../database/topology/topology-state';

/**
 * The state with failover `id`'s journal moved to `step`, to be written (through
 * DatabaseTopology.update: the file, or etcd's fenced compare-and-set) BEFORE that step
 * runs. An intent that is not this failover's is left as it is: a failover never writes
 * over another one's journal.
 */
export function withJournalStep(state: TopologyState, id: string, step: JournalStep, now: Date): TopologyState {
  if (!state.pending || state.pending.id !== id) return state;
  return { ...state, pending: { ...state.pending, step, stepAt: now.toISOString() } };
}

/** The state with failover `id`'s intent noting that it fenced the old primary (abandonPending lifts it); same rule as withJournalStep. */
export function withFenceApplied(state: TopologyState, id: string): TopologyState {
  if (!state.pending || state.pending.id !== id || state.pending.fencedOldPrimary) return state;
  return { ...state, pending: { ...state.pending, fencedOldPrimary: true } };
}
