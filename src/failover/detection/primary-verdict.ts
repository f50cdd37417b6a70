/** What one standby says about the primary, as the detector needs it. */
export interface StandbyView {
  key: string;
  /**
   * The monitor reached the standby, it has a replication channel, and its IO thread is
   * connected or trying to connect. A thread an operator stopped (`No`) proves nothing
   * about the primary and counts as unreachable.
   */
  reachable: boolean;
  /** ms since it last heard the primary; undefined: its IO thread is disconnected. */
  silenceMs?: number;
  ioState?: string;
  lastIoError?: string;
  /** Last_IO_Errno; with `lastIoError` it tells a refused reconnect (hard evidence, see fast-evidence.ts). */
  lastIoErrno?: number;
}

export type PrimaryVerdict =
  | { kind: 'healthy' }
  | { kind: 'missing'; misses: number }
  /** The monitor lost the primary, a standby still hears it: a monitor-side partition. */
  | { kind: 'partitioned'; misses: number; seenBy: string[] }
  /** Lost by the monitor and no standby to ask: never a failover. */
  | { kind: 'unconfirmed'; misses: number; reason: string }
  | { kind: 'dead'; misses: number; reason: string };

/**
 * The primary is dead only when the monitor missed `threshold` heartbeats in a row AND
 * every reachable standby has lost it too (IO thread disconnected, or silent for longer
 * than `windowMs`). A primary that is slow but alive keeps its standbys' counters moving.
 */
export function judgePrimary(
  misses: number,
  threshold: number,
  standbys: StandbyView[],
  windowMs: number,
): PrimaryVerdict {
  if (misses === 0) return { kind: 'healthy' };
  if (misses < threshold) return { kind: 'missing', misses };
  const reachable = standbys.filter((standby) => standby.reachable);
  if (reachable.length === 0) {
    return { kind: 'unconfirmed', misses, reason: 'no standby is reachable to confirm the primary is down' };
  }
  const seenBy = reachable
    .filter((standby) => standby.silenceMs !== undefined && standby.silenceMs <= windowMs)
    .map((standby) => standby.key);
  if (seenBy.length > 0) return { kind: 'partitioned', misses, seenBy };
  const reasons = reachable.map((standby) =>
    standby.silenceMs === undefined
      ? `${standby.key}: IO thread ${standby.ioState || 'stopped'}${standby.lastIoError ? ` (${standby.lastIoError})` : ''}`
      : `${standby.key}: nothing from the primary for ${standby.silenceMs} ms`,
  );
  return { kind: 'dead', misses, reason: `${misses} heartbeats missed; ${reasons.join('; ')}` };
}

/**
 * How long a standby may stay silent and still count as hearing the primary: the
 * detection window, and never less than two of the standby's own heartbeat periods plus
 * one poll, so an idle but healthy primary is not taken for a hung one.
 */
export function confirmationWindowMs(intervalMs: number, threshold: number, heartbeatPeriodsSeconds: number[]): number {
  const longestPeriodMs = Math.max(0, ...heartbeatPeriodsSeconds) * 1000;
  return Math.max(intervalMs * threshold, 2 * longestPeriodMs + intervalMs);
}
