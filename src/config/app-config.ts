import type { BackupCipher, MasterKey } from './encryption-keys';
import type { MysqlEndpoint } from './mysql-url';
import type { LOG_LEVELS, LOG_REQUESTS_MODES } from './environment.schema';

export type LogLevel = (typeof LOG_LEVELS)[number];
/** `all`: one line per answered request; `errors`: only answers with status >= 400; `off`: none. */
export type LogRequests = (typeof LOG_REQUESTS_MODES)[number];

export interface SqliteDatabaseConfig {
  type: 'sqlite';
  sqlitePath: string;
}

export interface MysqlDatabaseConfig {
  type: 'mysql';
  primary: MysqlEndpoint;
  standbys: MysqlEndpoint[];
  connectTimeoutMs: number;
  poolSize: number;
}

export type DatabaseConfig = SqliteDatabaseConfig | MysqlDatabaseConfig;

/**
 * How runtime routes are guarded:
 * - `token`: the runtime (or admin) token is required;
 * - `loopback-open`: no token, allowed only because HOST is a loopback address;
 * - `none`: the operator opened them explicitly with RUNTIME_AUTH=none.
 */
export type RuntimeAccess = 'token' | 'loopback-open' | 'none';

export interface Credentials {
  user: string;
  password: string;
}

export interface ConfigStoreConfig {
  mode: 'online' | 'offline';
  /** Upstream host; undefined: this node's own database is the host. */
  hostUrl?: string;
  hostToken?: string;
  hostTimeoutMs: number;
  hostRetries: number;
  breakerFailures: number;
  breakerHalfOpenMs: number;
  cacheTtlMs: number;
  cacheMax: number;
  cacheStore: 'memory' | 'redis';
  cacheRedisUrl?: string;
}

/** Schedules are cron expressions in `timeZone`, or `off`. */
export interface InstanceJobsConfig {
  timeZone: string;
  longRunning: { schedule: string; timeoutSeconds: number };
  retry: {
    schedule: string;
    maxRetryTimes: number;
    excludeLogicIds: string[];
    lookbackSeconds: number;
    cooldownSeconds: number;
  };
  cleanup: { schedule: string; retentionDays: number };
}

export type S3ChecksumMode = 'when_required' | 'when_supported';

/** BACKUP_STORAGE=s3: where and how backups go to an S3 bucket. */
export interface S3BackupConfig {
  bucket: string;
  /** '' or a key prefix ending with '/'. */
  prefix: string;
  /** undefined: the SDK's chain (AWS_REGION, the shared config file). */
  region?: string;
  /** An S3-compatible service's URL; undefined: AWS. */
  endpoint?: string;
  forcePathStyle: boolean;
  /** undefined: the SDK's default credential chain (environment, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  checksumCalculation: S3ChecksumMode;
  checksumValidation: S3ChecksumMode;
  /** Attempts per request, first one included, with backoff on throttling and 5xx. */
  maxAttempts: number;
}

export interface BackupConfig {
  storage: 'local' | 's3';
  /**
   * Local storage root; in production a mounted remote path (NFS). With S3 it still holds
   * the backup lock (one backup at a time per host).
   */
  directory: string;
  /** Set when storage is 's3'. */
  s3?: S3BackupConfig;
  /** Cron expressions in `timeZone`, or `off`. */
  fullSchedule: string;
  incrementalSchedule: string;
  timeZone: string;
  /** Full backups kept, each with its incrementals. */
  retainFull: number;
  timeoutSeconds: number;
  /** gzip level of every stored file. */
  compressionLevel: number;
  /** Test restores: a cron expression in `timeZone`, or `off`. */
  testRestoreSchedule: string;
  /** Where test restores go (its database is the scratch name); null: a private database on the primary's server. */
  testRestoreTarget: MysqlEndpoint | null;
  encryption: BackupEncryptionConfig;
}

/** Client-side envelope encryption of backups (docs/backups-encryption.md). */
export interface BackupEncryptionConfig {
  /** What new backups are written with; reading accepts any backup whose key is in `keys`. */
  cipher: BackupCipher;
  /** The first encrypts; all decrypt. Empty when no key is configured. */
  keys: MasterKey[];
  /** Which variable the keys came from, for messages. */
  keysSource: 'BACKUP_ENCRYPTION_KEYS' | 'BACKUP_ENCRYPTION_KEYS_FILE' | null;
}

/** Failover monitor timing; see docs/concepts.md, "Detection, and its worst case", for the worst-case detection time. */
export interface FailoverConfig {
  heartbeatIntervalMs: number;
  /** Connect and query timeout of one heartbeat. */
  heartbeatTimeoutMs: number;
  /** Consecutive missed heartbeats before the standbys are asked to confirm. */
  failureThreshold: number;
  cooldownMs: number;
  /** How long promotion waits for the standby to apply its relay log. */
  applyTimeoutMs: number;
  /**
   * The fast path on hard evidence: how long the primary must refuse connections (and every
   * standby be refused too) before it is confirmed dead without the full window; 0: off.
   */
  fastConfirmMs: number;
  /**
   * Single-node mode only: run the monitor's actions even on a database whose epoch marker
   * (logic_ha_epoch) says a cluster manages it. Off: such a monitor watches but does not act.
   */
  forceSingleNode: boolean;
  /**
   * A fenced old primary that answers and holds nothing the primary lacks is made a replica
   * of the primary and returned to the topology as a standby (src/failover/rejoin).
   */
  autoRejoin: boolean;
  /**
   * Zero-loss guard: how long a candidate that has not received every possibly acknowledged
   * transaction is waited for before the failover fails (or, with allowLoss, promotes it).
   */
  lossWaitMs: number;
  /** Past lossWaitMs, promote anyway and report what may be lost. */
  allowLoss: boolean;
  /** Set the standbys' heartbeat period, read_only and semi-sync roles each heartbeat, instead of only warning. */
  configureReplicas: boolean;
}

/**
 * Commands run around failovers (docs/failover-hooks.md), each with /bin/sh -c. Kept apart
 * from FailoverConfig, which is logged at start: a command line may carry a token.
 */
export interface FailoverHooksConfig {
  /** Before an automatic failover; a non-zero exit or a timeout vetoes it. */
  pre: string | null;
  /** After a failover or switchover succeeded. */
  post: string | null;
  /** After a failover or switchover failed. */
  failed: string | null;
  /** Each run is killed (its whole process group) past this. */
  timeoutMs: number;
}

/** How schema migrations run; see UPGRADING.md. */
export interface MigrationsConfig {
  /** How long a node waits for another node's migration run before it gives up starting. */
  lockTimeoutMs: number;
  /** Start-up adopts a database created by logic-solution (no migration history) as `db baseline` does. */
  baselineOnStart: boolean;
}

/**
 * Cluster mode (issue 16): several logic-ha nodes, one leader elected on etcd. Undefined:
 * single-node mode, where this node is always the leader and the topology is a local file.
 */
export interface ClusterConfig {
  /** etcd client URLs, `http://host:port`. */
  endpoints: string[];
  /** The leader lease; a node without etcd contact for this long stops writing. */
  leaseTtlMs: number;
  /** Unique per node: its leader key value and its entry under `nodes/`. */
  nodeId: string;
  /** The URL other nodes (and operators) reach this node's HTTP API at. */
  nodeAddress: string;
  /** Key prefix in etcd, so several deployments can share one etcd cluster. */
  prefix: string;
  /** Patroni-style failsafe: writes go on without etcd while every known node answers and none reaches etcd. */
  failsafe: boolean;
}

/** One receiver of WEBHOOK_URLS. */
export interface WebhookEndpointConfig {
  /** sha256(url), 16 hex digits: the key of its delivery rows, shown instead of the URL. */
  id: string;
  url: string;
  /** 1-based place in WEBHOOK_URLS, for messages that must not show the URL. */
  position: number;
}

/** Standard Webhooks delivery (docs/webhooks.md). No endpoints: webhooks are off. */
export interface WebhooksConfig {
  endpoints: WebhookEndpointConfig[];
  /** The decoded WEBHOOK_SECRET (24 to 64 bytes); null when unset (then there are no endpoints). */
  secret: Buffer | null;
  /** One attempt's limit: connect, send and the receiver's answer. */
  timeoutMs: number;
  /** The waits after each failed attempt; a delivery is tried at most `retryDelaysMs.length + 1` times. */
  retryDelaysMs: number[];
  /** A delivery older than this is not tried again, whatever the schedule says. */
  maxAgeMs: number;
  /** How often the worker looks for due retries (a new event is sent at once, not at the next poll). */
  pollIntervalMs: number;
}

/**
 * The one typed configuration object, built once from validated environment variables.
 * Injected by class token; treat as read-only.
 */
export abstract class AppConfig {
  abstract readonly dataDir: string;
  abstract readonly database: DatabaseConfig;
  abstract readonly http: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimitBytes: number;
    readonly shutdownTimeoutMs: number;
  };
  abstract readonly auth: {
    /** Unset means "generate or load from DATA_DIR on first start". */
    readonly adminToken?: string;
    readonly runtimeToken?: string;
    readonly runtimeAccess: RuntimeAccess;
    /** Bearer token of GET /metrics; unset: the route answers loopback clients only. */
    readonly metricsToken?: string;
  };
  abstract readonly log: { readonly level: LogLevel; readonly requests: LogRequests };
  abstract readonly health: {
    readonly checkTimeoutMs: number;
    readonly diskMinFreeBytes: number;
    readonly heapMaxBytes: number;
  };
  abstract readonly instanceJobs: InstanceJobsConfig;
  abstract readonly configStore: ConfigStoreConfig;
  abstract readonly backup: BackupConfig;
  abstract readonly failover: FailoverConfig;
  abstract readonly failoverHooks: FailoverHooksConfig;
  abstract readonly migrations: MigrationsConfig;
  abstract readonly cluster?: ClusterConfig;
  abstract readonly webhooks: WebhooksConfig;
  abstract readonly monitorAccount?: Credentials;
  abstract readonly replicationAccount?: Credentials;
}
