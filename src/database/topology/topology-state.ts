/**
 * What logic-ha persists about its database servers, in one atomically written file in
 * DATA_DIR: which server is the primary now, the epoch (incremented on every change), the
 * servers fenced after a failover, the failover controls and the recent history. A node
 * that restarts reads it before it connects, so it never goes back to a demoted primary.
 */
export const TOPOLOGY_FORMAT = 'logic-ha/topology@1';
export const TOPOLOGY_FILE_NAME = 'topology.json';
/** The file keeps the newest records; the database table keeps all of them. */
export const HISTORY_KEPT_IN_FILE = 50;

/** `host:port`, as the app reaches the server. */
export type ServerKey = string;

export interface FailoverStepRecord {
  name: string;
  startedAt: string;
  durationMs: number;
  ok: boolean;
  detail?: string;
}

export type FailoverKind = 'failover' | 'switchover';
/** vetoed: FAILOVER_PRE_HOOK refused an automatic failover; nothing was changed. */
export type FailoverOutcome = 'succeeded' | 'failed' | 'vetoed';

/** What the pre-failover hook answered when it vetoed. */
export interface FailoverVeto {
  /** The hook's variable (FAILOVER_PRE_HOOK), not its command line, which may hold a token. */
  hook: string;
  /** null when it did not exit on its own (killed at its timeout, or could not start). */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The end of its output (stdout and stderr as they came). */
  output: string;
}

export interface FailoverRecord {
  id: string;
  kind: FailoverKind;
  reason: string;
  startedAt: string;
  finishedAt: string;
  oldPrimary: ServerKey;
  /** null when no server was promoted. */
  newPrimary: ServerKey | null;
  /** The epoch after the change (unchanged when it failed). */
  epoch: number;
  outcome: FailoverOutcome;
  steps: FailoverStepRecord[];
  error: string | null;
  /** Set on a vetoed record only. */
  veto?: FailoverVeto;
}

export interface FailoverControl {
  /** Automatic actions suspended by an operator. */
  maintenance: boolean;
  maintenanceReason: string | null;
  /** Start of the cooldown: the last automatic or planned change. */
  lastChangeAt: string | null;
  /** An operator acknowledged the last change: the cooldown no longer blocks. */
  acknowledged: boolean;
  /** Set when a failover failed part-way: nothing automatic until acknowledged. */
  disabledReason: string | null;
}

/**
 * A failover that began changing a standby and has not finished: stored before the
 * candidate is touched, cleared once it accepts writes (or the failover was undone). A
 * leader that stops part-way (paused, killed, deposed) leaves it, and the next leader
 * finishes the job on that candidate instead of waiting for a standby that no longer
 * replicates to confirm anything.
 */
export interface PendingFailover {
  id: string;
  candidate: ServerKey;
  oldPrimary: ServerKey;
  startedAt: string;
  /** The node that started it (cluster mode), for the log. */
  by: string | null;
  /**
   * The failover journal: the last step that was about to run, written BEFORE it ran (so it
   * may or may not have happened; every step before it did). Absent in intents written
   * before the journal existed: read as `record-intent`. See src/failover/journal.
   */
  step?: JournalStep;
  /** When `step` was written. */
  stepAt?: string;
  /**
   * The failover set the old primary read-only (fence-old-primary succeeded): rolling the
   * failover back lifts that fence. Absent: no fence to lift (or one written before this field existed).
   */
  fencedOldPrimary?: boolean;
  /** A switchover whose new primary could not be made writable (its old primary follows it, not fenced); absent: a failover. */
  kind?: FailoverKind;
}

/** The journaled steps of a failover, in order; each one is written before it runs. */
export const JOURNAL_STEPS = [
  'record-intent',
  'stop-io-thread',
  'detach-from-old-primary',
  'persist-topology',
  'enable-writes',
  'repoint-standbys',
] as const;
export type JournalStep = (typeof JOURNAL_STEPS)[number];

export interface TopologyState {
  format: typeof TOPOLOGY_FORMAT;
  epoch: number;
  primary: ServerKey;
  fenced: ServerKey[];
  updatedAt: string;
  control: FailoverControl;
  history: FailoverRecord[];
  /** Absent in files written before it existed. */
  pending?: PendingFailover | null;
}

export function initialTopologyState(primary: ServerKey, now: Date): TopologyState {
  return {
    format: TOPOLOGY_FORMAT,
    epoch: 0,
    primary,
    fenced: [],
    updatedAt: now.toISOString(),
    control: {
      maintenance: false,
      maintenanceReason: null,
      lastChangeAt: null,
      acknowledged: true,
      disabledReason: null,
    },
    history: [],
  };
}

/** Parses the file's text; throws an Error naming what is wrong, for the operator. */
export function parseTopologyState(text: string, source: string): TopologyState {
  let value: Partial<TopologyState>;
  try {
    value = JSON.parse(text) as Partial<TopologyState>;
  } catch (error) {
    throw new Error(`${source} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (value.format !== TOPOLOGY_FORMAT)
    throw new Error(`${source} has format ${JSON.stringify(value.format)}, expected ${TOPOLOGY_FORMAT}`);
  if (!Number.isInteger(value.epoch) || (value.epoch as number) < 0)
    throw new Error(`${source}: epoch must be a non-negative integer`);
  if (typeof value.primary !== 'string' || !value.primary.includes(':'))
    throw new Error(`${source}: primary must be "host:port"`);
  if (!Array.isArray(value.fenced)) throw new Error(`${source}: fenced must be a list`);
  if (typeof value.control !== 'object' || value.control === null) throw new Error(`${source}: control is missing`);
  return { ...value, history: Array.isArray(value.history) ? value.history : [] } as TopologyState;
}
