import type { Credentials } from '../../config/app-config';
import type { ServerAddress } from '../probes/server-probe';

/** A server's GTID variables, as read in one go. */
export interface GtidState {
  binlogPos: string;
  /** One entry per (domain, server_id) that ever wrote to its binlog. */
  binlogState: string;
  slavePos: string;
}

export interface ReplicationSetup {
  source: ServerAddress;
  account: Credentials;
  /** current_pos: a former primary (its binlog is where it stands); slave_pos: a rebuilt server, from `slavePos`. */
  useGtid: 'current_pos' | 'slave_pos';
  /** Set as gtid_slave_pos first (slave_pos only). */
  slavePos?: string;
  heartbeatPeriodSeconds: number;
}

/**
 * The admin SQL of a rejoin, apart from the monitor's ServerProbe (which it also uses for
 * replica status and read_only) so the rejoin's statements live in one small port. Real
 * implementation: MysqlRejoinProbe, with the monitor's account.
 */
export abstract class RejoinProbe {
  abstract gtidState(server: ServerAddress): Promise<GtidState>;
  /** read_only = ON, then STOP SLAVE; [gtid_slave_pos]; CHANGE MASTER TO … ; START SLAVE. */
  abstract replicate(server: ServerAddress, setup: ReplicationSetup): Promise<void>;
  /** Before a rebuild: STOP SLAVE; RESET SLAVE ALL; RESET MASTER (its old binlog, errant transactions included, is dropped). */
  abstract resetForRebuild(server: ServerAddress): Promise<void>;
  /** Binary log file names, oldest first. */
  abstract binlogFiles(server: ServerAddress): Promise<string[]>;
}
