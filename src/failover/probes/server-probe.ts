import type { Credentials } from '../../config/app-config';
import type { ReplicaStatus } from './replica-status';

/** A server as the monitor reaches it: its key in the topology and its address. */
export interface ServerAddress {
  key: string;
  host: string;
  port: number;
  /** The app's database on it (where logic-ha's tables are); needed by the epoch marker only. */
  database?: string;
}

export type GtidStart = 'slave_pos' | 'current_pos';

export interface PrimaryHeartbeat {
  gtidBinlogPosition: string;
  readOnly: boolean;
  /** rpl_semi_sync_master_status: commits wait for a standby's acknowledgement. */
  semiSyncActive: boolean;
  /**
   * Rpl_semi_sync_master_no_tx: commits that went through without a standby's
   * acknowledgement (timed out, or while semi-sync was off). Read BEFORE gtidBinlogPosition,
   * so every commit it counts is within that position (the zero-loss guard relies on it).
   * Undefined when not read.
   */
  semiSyncUnacknowledgedCommits?: number;
}

/** A server's replication settings, as FAILOVER_CONFIGURE_REPLICAS checks them. */
export interface ReplicationSettings {
  readOnly: boolean;
  semiSyncMasterEnabled: boolean;
  semiSyncSlaveEnabled: boolean;
  /** Rpl_semi_sync_slave_status: its IO thread acknowledges (it connected with semi-sync on). */
  semiSyncSlaveActive: boolean;
}

export type SemiSyncRole = 'master' | 'slave';

/** Who manages the database: one logic-ha node on its own, or a cluster of them with a leader on etcd. */
export type EpochManager = 'single-node' | 'cluster';

/**
 * What a primary change records on the new primary (table logic_ha_epoch, one row per
 * change), so that every server carries it through replication: a node about to promote
 * a server that records a higher epoch than its own knows its view is stale.
 */
export interface EpochRecord {
  epoch: number;
  /** The new primary, `host:port`. */
  primary: string;
  managedBy: EpochManager;
  /** The cluster node that wrote it (CLUSTER_NODE_ID); null in single-node mode. */
  writer: string | null;
}

/** The newest epoch record a server holds, with when it was written (UTC, ISO 8601). */
export interface RecordedEpoch extends EpochRecord {
  recordedAt: string;
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
  /** START SLAVE: both threads, as configured (a standby repaired, an interrupted failover rolled back). */
  abstract startReplica(server: ServerAddress): Promise<void>;
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
  /**
   * Inserts `record` into logic_ha_epoch on `server`, unless it already records that epoch
   * or a higher one: then it throws, naming what it holds (a late or duplicate writer).
   */
  abstract recordEpoch(server: ServerAddress, record: EpochRecord): Promise<void>;
  /** The newest row of logic_ha_epoch; null when there is none, or no such table yet (before ha-5). */
  abstract recordedEpoch(server: ServerAddress): Promise<RecordedEpoch | null>;
  /** The global privileges the given account holds (SHOW GRANTS as that account). */
  abstract globalPrivilegesOf(server: ServerAddress, account: Credentials): Promise<string[]>;
  /** read_only and the semi-sync settings of one server. */
  abstract replicationSettings(server: ServerAddress): Promise<ReplicationSettings>;
  /** SET GLOBAL rpl_semi_sync_<role>_enabled; a replica's takes effect when its IO thread reconnects. */
  abstract setSemiSync(server: ServerAddress, role: SemiSyncRole, on: boolean): Promise<void>;
  /** STOP SLAVE IO_THREAD; START SLAVE IO_THREAD: it reconnects, with the current semi-sync setting. */
  abstract restartReplicaIo(server: ServerAddress): Promise<void>;
  /** STOP SLAVE; CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD; START SLAVE (MariaDB refuses it with a thread running). */
  abstract setHeartbeatPeriod(server: ServerAddress, seconds: number): Promise<void>;
  /** Closes every cached connection. */
  abstract close(): Promise<void>;
  /**
   * Calls `listener` with the server's key when the server closes a cached connection
   * (a killed process closes its sockets at once): the monitor probes again without waiting
   * for its next heartbeat. A probe without long-lived connections never calls it.
   */
  onConnectionLost(listener: (serverKey: string) => void): void {
    void listener;
  }
}
