/**
 * The port between failover (which rejoins a fenced server) and whatever can rebuild a
 * server's data: it sits here, below both features, so neither imports the other. Backup
 * implements it (a logical restore of the newest backup chain); the app's wiring binds it.
 */

/** The server to rebuild: where it listens, and the app's database on it (what the copy holds). */
export interface RebuildTarget {
  key: string;
  host: string;
  port: number;
  database?: string;
}

/** The copy a rebuild will use, chosen before any server is touched. */
export interface RebuildPlan {
  /** The implementation's own reference to the copy (a backup id). */
  ref: string;
  /** The GTID position the copy stands at: replication from the primary starts after it. */
  position: string;
}

export interface RebuildResult {
  /** The GTID position the rebuilt data stands at (the plan's). */
  position: string;
  /** What it was rebuilt from, in words (backup ids), for the log and the job. */
  source: string;
}

/**
 * Replaces a fenced server's data with a copy of the primary's history, so it can replicate
 * from the primary whatever it held before (errant transactions included). In two steps, so
 * the caller resets the server (its replication and binlog) only once a usable copy exists:
 * `plan` picks and checks the copy, touching no server; `rebuild` writes it, unlogged (no
 * GTID of the server's own). Today a logical restore of the newest backup chain; a physical
 * copy (mariadb-backup) can implement the same port later.
 */
export abstract class ReplicaRebuilder {
  abstract readonly method: string;
  /**
   * `primaryHolds(gtid)`: whether the primary's history holds that position; the copy must
   * stand at such a point, or replication cannot start from it. Throws when no copy fits.
   */
  abstract plan(server: RebuildTarget, primaryHolds: (gtid: string) => boolean): Promise<RebuildPlan>;
  abstract rebuild(server: RebuildTarget, plan: RebuildPlan, signal: AbortSignal): Promise<RebuildResult>;
}
