/**
 * Every event logic-ha emits, with its payload: the one typed map. Names are
 * `<area>.<what-happened>` in kebab case (`db.primary-changed`, `backup.succeeded`);
 * features add their payloads here when they start emitting.
 */
export interface InstanceRef {
  logicId: string;
  bizId: string;
  instanceId: string;
}

export interface InstanceBeforeRunEvent extends InstanceRef {
  /** The run's parameters (paramsJson) as the runtime sent them. */
  params: string | null;
}

export interface InstanceAfterStopEvent extends InstanceRef {
  returnData: string | null;
  success: boolean;
  isOver: boolean;
}

export interface InstanceBizCompletedEvent extends InstanceRef {
  returnData: string | null;
}

export interface InstanceLongRunningEvent extends InstanceRef {
  startTime: Date;
  runningSeconds: number;
}

export interface InstanceRetryDueEvent extends InstanceRef {
  /** retryTimes after this claim. */
  retryTimes: number;
}

export interface ConfigPublishedEvent {
  logicId: string;
  version: string;
  publishedAt: Date;
}

export interface ConfigEvictedEvent {
  /** null when the whole cache was cleared. */
  logicId: string | null;
  keys: string[];
  /** Set when another node evicted (cluster mode): that node's id; absent for this node's own evictions. */
  origin?: string;
}

export interface ConfigHostUnreachableEvent {
  host: string;
  failure: string;
  reason: string;
  since: Date;
}

export interface BackupStartedEvent {
  id: string;
  type: 'full' | 'incremental';
  triggeredBy: 'manual' | 'schedule' | 'upgrade';
}

export interface BackupSucceededEvent {
  id: string;
  type: 'full' | 'incremental';
  sizeBytes: number;
  durationMs: number;
}

export interface BackupFailedEvent {
  id: string;
  type: 'full' | 'incremental';
  code: string;
  reason: string;
}

export interface BackupVerifiedEvent {
  id: string;
  ok: boolean;
  problems: string[];
}

export interface BackupTestRestoreFailedEvent {
  /**
   * The backup whose recorded fingerprints were compared; null when a scheduled run could not
   * start (unreadable storage, a refused scratch target, no fingerprints in the chain).
   */
  id: string | null;
  reason: string;
  /** Tables that did not match; empty when the restore itself failed. */
  tables: string[];
}

/** A server as `host:port`. */
export interface DbPrimarySuspectEvent {
  primary: string;
  epoch: number;
  misses: number;
  /** Why there is no failover: standbys that still hear the primary, or none to ask. */
  reason: string;
  seenBy: string[];
}

export interface DbFailoverStartedEvent {
  id: string;
  kind: 'failover' | 'switchover';
  epoch: number;
  oldPrimary: string;
  reason: string;
}

export interface DbPrimaryChangedEvent {
  id: string;
  kind: 'failover' | 'switchover';
  /** The epoch after the change. */
  epoch: number;
  oldPrimary: string;
  newPrimary: string;
  at: Date;
}

export interface DbFailoverFailedEvent {
  id: string;
  kind: 'failover' | 'switchover';
  epoch: number;
  oldPrimary: string;
  step: string;
  reason: string;
}

export interface DbOldPrimaryFencedEvent {
  server: string;
  epoch: number;
  killedConnections: number;
}

/** The leader this node heard of changed (cluster mode). */
export interface ClusterLeaderChangedEvent {
  /** The new leader's node id; null while nobody leads. */
  leader: string | null;
  leaderAddress: string | null;
  previous: string | null;
  /** The node that saw the change (each node reports it). */
  node: string;
}

/**
 * This node lost etcd (cluster mode): its lease's deadline passed without a renewal, or a
 * renewal came back after it (the process was paused). Reported once per loss.
 */
export interface ClusterEtcdLostEvent {
  node: string;
  /** ms since etcd last answered this node. */
  silentMs: number;
  /** Writes go on under the failsafe (CLUSTER_FAILSAFE=true, every node answers); false: writes are suspended. */
  failsafe: boolean;
}

/** This node reaches etcd again after a loss and has re-read the topology: writes resume. */
export interface ClusterEtcdRegainedEvent {
  node: string;
  /** How long etcd was silent, as the renewal that ended the silence counted it. */
  silentMs: number;
}

/** A pre-failover hook (FAILOVER_PRE_HOOK) exited non-zero or timed out: the automatic failover did not start. */
export interface DbFailoverVetoedEvent {
  primary: string;
  epoch: number;
  /** The hook that vetoed: its variable (FAILOVER_PRE_HOOK), never its command line, which may hold a token. */
  hook: string;
  /** null when it was killed at its timeout. */
  exitCode: number | null;
  reason: string;
  at: Date;
}

/** A fenced old primary was made a read-only standby of the current primary and caught up. */
export interface DbRejoinedEvent {
  server: string;
  primary: string;
  epoch: number;
  /** replication: it held nothing the primary lacks; reclone: rebuilt from a backup first. */
  method: 'replication' | 'reclone';
}

/** One table a transaction changed, as read from the server's binlog. */
export interface ErrantRowChange {
  gtid: string;
  table: string;
  /** INSERT, UPDATE, DELETE, or DDL/other. */
  operation: string;
  rows: number;
}

/** A fenced old primary holds transactions the current primary does not: it stays fenced for a person to decide. */
export interface DbErrantTransactionsEvent {
  server: string;
  primary: string;
  epoch: number;
  /** The GTID set only that server holds, e.g. `0-1-105-107`. */
  errantGtids: string;
  changes: ErrantRowChange[];
}

/** Semi-synchronous replication on the primary switched off (commits no longer wait for a standby) or back on. */
export interface DbSemiSyncChangedEvent {
  primary: string;
  epoch: number;
  active: boolean;
}

/** A standby's replication is stopped, broken or points at the wrong source (repaired: logic-ha fixed it). */
export interface DbStandbyProblemEvent {
  server: string;
  epoch: number;
  problem: string;
  repaired: boolean;
}

/** FAILOVER_CONFIGURE_REPLICAS changed a server's replication settings. */
export interface DbReplicaConfiguredEvent {
  server: string;
  changes: string[];
}

/** A failover promoted a standby that had not received every acknowledged transaction (FAILOVER_ALLOW_LOSS=true). */
export interface DbPossibleLossEvent {
  id: string;
  candidate: string;
  /** The acknowledged GTID position the candidate had not received. */
  acknowledged: string;
  received: string;
  waitedMs: number;
}

export interface AppEventMap {
  'instance.before-run': InstanceBeforeRunEvent;
  'instance.after-stop': InstanceAfterStopEvent;
  'instance.biz-completed': InstanceBizCompletedEvent;
  'instance.long-running': InstanceLongRunningEvent;
  'instance.retry-due': InstanceRetryDueEvent;
  'config.published': ConfigPublishedEvent;
  'config.evicted': ConfigEvictedEvent;
  'config.host-unreachable': ConfigHostUnreachableEvent;
  'backup.started': BackupStartedEvent;
  'backup.succeeded': BackupSucceededEvent;
  'backup.failed': BackupFailedEvent;
  'backup.verified': BackupVerifiedEvent;
  'backup.test-restore-failed': BackupTestRestoreFailedEvent;
  'db.primary-suspect': DbPrimarySuspectEvent;
  'db.failover-started': DbFailoverStartedEvent;
  'db.primary-changed': DbPrimaryChangedEvent;
  'db.failover-failed': DbFailoverFailedEvent;
  'db.old-primary-fenced': DbOldPrimaryFencedEvent;
  'db.failover-vetoed': DbFailoverVetoedEvent;
  'db.rejoined': DbRejoinedEvent;
  'db.errant-transactions': DbErrantTransactionsEvent;
  'db.semi-sync-changed': DbSemiSyncChangedEvent;
  'db.standby-problem': DbStandbyProblemEvent;
  'db.replica-configured': DbReplicaConfiguredEvent;
  'db.possible-loss': DbPossibleLossEvent;
  'cluster.leader-changed': ClusterLeaderChangedEvent;
  'cluster.etcd-lost': ClusterEtcdLostEvent;
  'cluster.etcd-regained': ClusterEtcdRegainedEvent;
}

export type AppEventName = keyof AppEventMap;
