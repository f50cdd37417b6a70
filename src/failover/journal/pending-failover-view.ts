import type { PendingFailover } from '../../database/topology/topology-state';
import { journalStep } from './interrupted-failover';

/** What GET /api/v1/failover/status shows of an unfinished failover (the intent in the topology), or null. */
export function pendingFailoverView(pending: PendingFailover | null | undefined) {
  if (!pending) return null;
  return {
    id: pending.id,
    step: journalStep(pending),
    candidate: pending.candidate,
    oldPrimary: pending.oldPrimary,
    startedAt: pending.startedAt,
  };
}

export interface PendingWarningInput {
  pending: PendingFailover | null | undefined;
  now: Date;
  /** One monitor tick: an intent older than that was not settled by the tick that should have. */
  heartbeatIntervalMs: number;
  /** A failover or switchover runs now: its own intent is no interruption. */
  running: boolean;
  primary: { key: string; reachable: boolean | null };
  maintenance: boolean;
}

/**
 * A status warning while an intent outlives one tick with no failover running: an
 * interrupted failover (a crash, a deposed leader, or enable-writes failing past
 * persist-topology), and what it waits for. Null otherwise.
 */
export function pendingFailoverWarning(input: PendingWarningInput): string | null {
  const { pending } = input;
  if (!pending || input.running) return null;
  const since = Date.parse(pending.stepAt ?? pending.startedAt);
  if (Number.isFinite(since) && input.now.getTime() - since <= input.heartbeatIntervalMs) return null;
  return `an interrupted failover ${pending.id} is pending at step ${journalStep(pending)}: ${waitsFor(input)}`;
}

function waitsFor({ pending, primary, maintenance }: PendingWarningInput): string {
  if (maintenance) return 'waiting for maintenance mode to end';
  if (pending!.candidate === primary.key)
    return primary.reachable === false
      ? `waiting for the new primary ${primary.key} to answer`
      : `${primary.key} is the primary but not yet writable: retried at each heartbeat by the leader`;
  if (pending!.oldPrimary !== primary.key) return 'about a former primary: cleared at the next heartbeat by the leader';
  return primary.reachable === false
    ? `waiting for the old primary ${primary.key} to answer (rolled back) or to be confirmed down (resumed)`
    : `the old primary ${primary.key} answers: rolled back at the next heartbeat by the leader`;
}
