import type { PrimaryVerdict, StandbyView } from './primary-verdict';

/**
 * How a failed heartbeat failed. Only `refused` is hard evidence of a dead server: the
 * host answered and nothing listens on the port (the process is gone, or not yet up).
 * `lost` (the server closed a connection we held) says something happened but not what;
 * `timeout` is a hung server or a network that drops packets; `other` is an answer from a
 * live process (access denied, too many connections, shutdown in progress).
 */
export type HeartbeatFailure = 'refused' | 'lost' | 'timeout' | 'other';

const LOST_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'PROTOCOL_SEQUENCE_TIMEOUT']);

export function classifyHeartbeatFailure(error: unknown): HeartbeatFailure {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ECONNREFUSED') return 'refused';
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return 'timeout';
  // The probe's own bound (see mysql-server-probe.ts, bounded()): "…: no answer within N ms".
  if (/no answer within \d+ ms/.test(message)) return 'timeout';
  if (typeof code === 'string' && LOST_CODES.has(code)) return 'lost';
  if (/closed state|connection lost/i.test(message)) return 'lost';
  return 'other';
}

/** CR_CONN_HOST_ERROR: the client library could not open a connection to the host. */
const ER_CONN_HOST_ERROR = 2003;

/**
 * The standby's own hard evidence: its IO thread is disconnected (`Connecting`) and its
 * last attempt to reach the primary was refused. MariaDB 10.11 writes errno 2003 and
 * "error reconnecting to master 'repl@host:port' - retry-time: 1 maximum-retries: 100000
 * message: Can't connect to server on 'host' (111 "Connection refused")". Right after the
 * kill the IO thread is in state "Reconnecting after a failed master event read": its first
 * reconnect is immediate, so the 2003 shows within milliseconds (measured: 3 ms). A 2013
 * (lost connection, e.g. "reading initial communication packet": something accepted the
 * TCP connection), a timeout (110) or an unreachable host (113) is not a refusal, and a
 * connected thread (`Yes`) is not evidence at all. A successful reconnect clears the error,
 * so a refusal shown with `Connecting` belongs to the current disconnection; it may be up to
 * MASTER_CONNECT_RETRY old, which is why the monitor's own probes supply the freshness.
 */
export function standbyRefused(view: StandbyView): boolean {
  if (!view.reachable || view.ioState !== 'Connecting') return false;
  if (view.lastIoErrno !== undefined && view.lastIoErrno !== ER_CONN_HOST_ERROR) return false;
  return /\(111\b|connection refused/i.test(view.lastIoError ?? '');
}

/** The monitor's own refusals in a row, from the first one of this episode. */
export interface RefusalRun {
  refusals: number;
  spanMs: number;
}

/** The fast path's setting: how long the monitor's refusals must last; 0: no fast path. */
export interface FastPathSettings {
  windowMs: number;
}

/** Probes come at most 500 ms apart (and at least 250), so a 1000 ms window is the first refusal and two more. */
export function probeSpacingMs(windowMs: number): number {
  return Math.min(500, Math.max(250, Math.floor(windowMs / 2)));
}

/**
 * The fast path: a dead primary without waiting for the full window. Only when the
 * monitor's connections were refused for the whole short window (the first refusal and at
 * least two more probes) AND every reachable standby (at least one) reports a refused
 * reconnect. Anything softer (a timeout, a lost connection, a standby still connected or
 * failing otherwise) leaves the verdict to judgePrimary and its full window.
 */
export function judgeFastPath(
  run: RefusalRun | null,
  standbys: StandbyView[],
  settings: FastPathSettings,
): PrimaryVerdict | null {
  if (settings.windowMs <= 0 || !run) return null;
  if (run.refusals < 3 || run.spanMs < settings.windowMs) return null;
  const reachable = standbys.filter((standby) => standby.reachable);
  if (reachable.length === 0 || !reachable.every(standbyRefused)) return null;
  const reasons = reachable.map((standby) => `${standby.key}: IO thread ${standby.ioState} (${standby.lastIoError})`);
  return {
    kind: 'dead',
    misses: run.refusals,
    reason:
      `fast path: the primary refused ${run.refusals} connections over ${Math.round(run.spanMs)} ms; ` +
      `every standby was refused too; ${reasons.join('; ')}`,
  };
}

/** What confirmRefusals() found. */
export type RefusalConfirmation<T> =
  /** Refused all along: `last` is the newest failed observation. */
  | { outcome: 'refused'; run: RefusalRun; last: T }
  /** The primary answered, or failed otherwise (a timeout): the fast path does not apply. */
  | { outcome: 'broken'; run: RefusalRun; last: T };

/**
 * Probes the primary again after a first refusal, `probeSpacingMs` apart, until the refusals
 * span the window. A handshake that succeeds (a primary restarted within the window) or a
 * failure of another kind ends it: `broken`, with that observation.
 */
export async function confirmRefusals<T>(options: {
  first: T;
  probe: () => Promise<T>;
  failureOf: (observation: T) => HeartbeatFailure | null;
  windowMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}): Promise<RefusalConfirmation<T>> {
  const startedAt = options.now();
  const spacing = probeSpacingMs(options.windowMs);
  // Counted, not timed, so a clock that stands still cannot keep it probing forever.
  const probes = Math.max(2, Math.ceil(options.windowMs / spacing));
  const run: RefusalRun = { refusals: 1, spanMs: 0 };
  let last = options.first;
  while (run.refusals <= probes) {
    await options.sleep(spacing);
    last = await options.probe();
    run.spanMs = options.now() - startedAt;
    if (options.failureOf(last) !== 'refused') return { outcome: 'broken', run, last };
    run.refusals++;
  }
  return { outcome: 'refused', run, last };
}
