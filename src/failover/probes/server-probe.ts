import type { Credentials } from '../../config/app-config';
import type { ReplicaStatus } from './replica-status';

/** A server as the monitor reaches it: its key in the topology and its address. */
export interface ServerAddress {
  key: string;
  host: string;
  port: number;
}

export type GtidStart = 'slave_pos' | 'current_pos';

export interface PrimaryHeartbeat {
  gtidBinlogPosition: string;
  readOnly: boolean;
  /** rpl_semi_sync_master_status: commits wait for a standby's acknowledgement. */
  semiSyncActive: boolean;
}

/**
 * The monitor's admin SQL, one method per question or action, so the detection and
 * promotion logic is tested against a fake and the real one against real servers.
 * Every call is bounded in time; a timeout rejects.
 */
export abstract class ServerProbe {
  /** The primary's heartbeat, on the monitor's own long-lived connection. */
  abstract heartbeat(server: ServerAddress): Promise<PrimaryHeartbeat>;
  /** null when the server replicates from nothing. */
  abstract replicaStatus(server: ServerAddress): Promise<ReplicaStatus | null>;
  abstract readOnly(server: ServerAddress): Promise<boolean>;
  abstract setReadOnly(server: ServerAddress, on: boolean): Promise<void>;
  /** Kills every connection of `user` (the app's account); returns how many. */
  abstract killConnectionsOf(server: ServerAddress, user: string): Promise<number>;
  abstract stopReplicaIo(server: ServerAddress): Promise<void>;
  /** Undoes stopReplicaIo when a promotion is abandoned. */
  abstract startReplicaIo(server: ServerAddress): Promise<void>;
  /** MASTER_GTID_WAIT: true when `position` was applied within the time. */
  abstract waitForApplied(server: ServerAddress, position: string, timeoutMs: number): Promise<boolean>;
  /** STOP SLAVE; RESET SLAVE ALL: the server no longer replicates. */
  abstract detachReplica(server: ServerAddress): Promise<void>;
  /**
   * Replicate from `source` with GTID, starting at once. `slave_pos` for a server that was
   * a replica all along; `current_pos` for a former primary, whose own binlog is where it stands.
   */
  abstract replicateFrom(
    server: ServerAddress,
    source: ServerAddress,
    account: Credentials,
    from?: GtidStart,
  ): Promise<void>;
  /** The global privileges the given account holds (SHOW GRANTS as that account). */
  abstract globalPrivilegesOf(server: ServerAddress, account: Credentials): Promise<string[]>;
  /** Closes every cached connection. */
  abstract close(): Promise<void>;
}
