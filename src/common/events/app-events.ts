/**
 * Every event logic-ha emits, with its payload: the one typed map. Names follow
 * ARCHITECTURE.md; features add their payloads here when they start emitting.
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
}

export type AppEventName = keyof AppEventMap;
