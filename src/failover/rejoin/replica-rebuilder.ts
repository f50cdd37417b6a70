import type { ServerAddress } from '../probes/server-probe';
import type { GtidHistory } from './gtid-set';

export interface RebuildResult {
  /** The GTID position the rebuilt data stands at: replication from the primary starts after it. */
  position: string;
  /** What it was rebuilt from, in words (backup ids), for the log and the job. */
  source: string;
}

/**
 * Replaces a fenced server's data with a copy of the primary's history, so it can replicate
 * from the primary whatever it held before (errant transactions included). Today a logical
 * restore of the newest backup chain (LogicalBackupRebuilder); a physical copy
 * (mariadb-backup) can implement the same port later.
 */
export abstract class ReplicaRebuilder {
  abstract readonly method: string;
  /** `primaryHistory`: the copy must stand at a point the primary holds, or replication cannot start from it. */
  abstract rebuild(server: ServerAddress, primaryHistory: GtidHistory, signal: AbortSignal): Promise<RebuildResult>;
}
