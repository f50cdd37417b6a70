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
  'cluster.leader-changed': ClusterLeaderChangedEvent;
  'cluster.etcd-lost': ClusterEtcdLostEvent;
  'cluster.etcd-regained': ClusterEtcdRegainedEvent;
}

export type AppEventName = keyof AppEventMap;
