import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsCronOrOff, IsTimeZone } from './cron.validator';
import { BACKUP_CIPHERS } from './encryption-keys';
import { IsMysqlUrl, IsMysqlUrlList } from './mysql-url.validator';

export const DB_TYPES = ['sqlite', 'mysql'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** Which answered requests get an access log line (see src/common/logging/access-log.ts). */
export const LOG_REQUESTS_MODES = ['all', 'errors', 'off'] as const;
export const RUNTIME_AUTH_MODES = ['auto', 'token', 'none'] as const;
export const CONFIG_MODES = ['online', 'offline'] as const;
export const CONFIG_CACHE_STORES = ['memory', 'redis'] as const;
/** A local (or NFS-mounted) directory, or an S3 bucket (AWS or an S3-compatible service). */
export const BACKUP_STORAGES = ['local', 's3'] as const;
/** The AWS SDK's checksum modes, lower-cased; `when_required` works with AWS and with S3-compatible servers. */
export const S3_CHECKSUM_MODES = ['when_required', 'when_supported'] as const;
/** Every BACKUP_S3_* variable: each needs BACKUP_STORAGE=s3. */
export const BACKUP_S3_VARIABLES = [
  'BACKUP_S3_BUCKET',
  'BACKUP_S3_PREFIX',
  'BACKUP_S3_REGION',
  'BACKUP_S3_ENDPOINT',
  'BACKUP_S3_FORCE_PATH_STYLE',
  'BACKUP_S3_ACCESS_KEY_ID',
  'BACKUP_S3_SECRET_ACCESS_KEY',
  'BACKUP_S3_CHECKSUM_CALCULATION',
  'BACKUP_S3_CHECKSUM_VALIDATION',
  'BACKUP_S3_MAX_ATTEMPTS',
] as const;
export const BOOLEAN_WORDS = ['true', 'false'] as const;

/** Tokens are compared as opaque strings; 16 characters is the least that is not guessable. */
const MIN_TOKEN_LENGTH = 16;
/**
 * A bearer token travels as one word of an HTTP header: the `Authorization` parser stops
 * at the first space, and a header cannot carry control or non-ASCII characters as sent.
 * A token with any of them could never authenticate, so it is refused at start instead.
 */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;
const TOKEN_MESSAGE =
  '$property must be one word of printable ASCII: no spaces, tabs, line breaks or other characters a header cannot carry';
const HOST_PATTERN = /^[A-Za-z0-9.\-:[\]]+$/;

/**
 * Every environment variable logic-ha reads. Names are the contract with operators
 * (documented in docs/reference/configuration.md); defaults live in app-config.factory.ts.
 */
export class EnvironmentSchema {
  @IsOptional()
  @IsIn(DB_TYPES)
  DB_TYPE?: (typeof DB_TYPES)[number];

  @IsOptional()
  @IsString()
  @MinLength(1)
  SQLITE_PATH?: string;

  @IsOptional()
  @IsMysqlUrl()
  DB_PRIMARY_URL?: string;

  @IsOptional()
  @IsMysqlUrlList()
  DB_STANDBY_URLS?: string;

  @IsOptional()
  @IsString()
  @MaxLength(80)
  DB_ADMIN_USER?: string;

  @IsOptional()
  @IsString()
  DB_ADMIN_PASSWORD?: string;

  @IsOptional()
  @IsString()
  @MaxLength(80)
  DB_REPLICATION_USER?: string;

  @IsOptional()
  @IsString()
  DB_REPLICATION_PASSWORD?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DB_CONNECT_TIMEOUT_MS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  DB_POOL_SIZE?: number;

  @IsOptional()
  @IsString()
  @MinLength(1)
  DATA_DIR?: string;

  @IsOptional()
  @IsString()
  @Matches(HOST_PATTERN, { message: '$property must be an IP address or host name' })
  HOST?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65_535)
  PORT?: number;

  @IsOptional()
  @IsString()
  @MinLength(MIN_TOKEN_LENGTH)
  @Matches(TOKEN_PATTERN, { message: TOKEN_MESSAGE })
  ADMIN_TOKEN?: string;

  @IsOptional()
  @IsString()
  @MinLength(MIN_TOKEN_LENGTH)
  @Matches(TOKEN_PATTERN, { message: TOKEN_MESSAGE })
  RUNTIME_TOKEN?: string;

  @IsOptional()
  @IsIn(RUNTIME_AUTH_MODES)
  RUNTIME_AUTH?: (typeof RUNTIME_AUTH_MODES)[number];

  @IsOptional()
  @IsString()
  @MinLength(MIN_TOKEN_LENGTH)
  @Matches(TOKEN_PATTERN, { message: TOKEN_MESSAGE })
  METRICS_TOKEN?: string;

  @IsOptional()
  @IsIn(LOG_LEVELS)
  LOG_LEVEL?: (typeof LOG_LEVELS)[number];

  @IsOptional()
  @IsIn(LOG_REQUESTS_MODES)
  LOG_REQUESTS?: (typeof LOG_REQUESTS_MODES)[number];

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(1024 * 1024 * 1024)
  BODY_LIMIT_BYTES?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_TIMEOUT_MS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(50)
  @Max(60_000)
  HEALTH_CHECK_TIMEOUT_MS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  HEALTH_DISK_MIN_FREE_BYTES?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(16 * 1024 * 1024)
  HEALTH_HEAP_MAX_BYTES?: number;

  @IsOptional()
  @IsTimeZone()
  CRON_TIMEZONE?: string;

  @IsOptional()
  @IsCronOrOff()
  INSTANCE_LONG_RUNNING_CRON?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10 * 365 * 24 * 3600)
  INSTANCE_LONG_RUNNING_TIMEOUT_S?: number;

  @IsOptional()
  @IsCronOrOff()
  INSTANCE_RETRY_CRON?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  INSTANCE_RETRY_MAX_TIMES?: number;

  @IsOptional()
  @IsString()
  @Matches(/^[^,]{1,36}(,[^,]{1,36}){0,99}$/, {
    message: '$property must list at most 100 comma-separated logic ids of 1 to 36 characters',
  })
  INSTANCE_RETRY_EXCLUDE_LOGIC_IDS?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(10 * 365 * 24 * 3600)
  INSTANCE_RETRY_LOOKBACK_S?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(24 * 3600)
  INSTANCE_RETRY_COOLDOWN_S?: number;

  @IsOptional()
  @IsCronOrOff()
  INSTANCE_CLEANUP_CRON?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(36_500)
  INSTANCE_RETENTION_DAYS?: number;

  @IsOptional()
  @IsIn(CONFIG_MODES)
  CONFIG_MODE?: (typeof CONFIG_MODES)[number];

  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: '$property must be an http:// or https:// URL' },
  )
  CONFIG_HOST_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @Matches(TOKEN_PATTERN, { message: TOKEN_MESSAGE })
  CONFIG_HOST_TOKEN?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(50)
  @Max(120_000)
  CONFIG_HOST_TIMEOUT_MS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10)
  CONFIG_HOST_RETRIES?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  CONFIG_HOST_BREAKER_FAILURES?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  CONFIG_HOST_BREAKER_HALF_OPEN_MS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(30 * 24 * 3600 * 1000)
  CONFIG_CACHE_TTL_MS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  CONFIG_CACHE_MAX?: number;

  @IsOptional()
  @IsIn(CONFIG_CACHE_STORES)
  CONFIG_CACHE_STORE?: (typeof CONFIG_CACHE_STORES)[number];

  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: '$property must be a redis:// or rediss:// URL' })
  CONFIG_CACHE_REDIS_URL?: string;

  @IsOptional()
  @IsIn(BACKUP_STORAGES)
  BACKUP_STORAGE?: (typeof BACKUP_STORAGES)[number];

  @IsOptional()
  @IsString()
  @MinLength(1)
  BACKUP_DIR?: string;

  @IsOptional()
  @IsCronOrOff()
  BACKUP_FULL_CRON?: string;

  @IsOptional()
  @IsCronOrOff()
  BACKUP_INCREMENTAL_CRON?: string;

  @IsOptional()
  @IsTimeZone()
  BACKUP_TIMEZONE?: string;

  /** Scheduled test restores (restore into a scratch database, compare fingerprints); `off` disables. */
  @IsOptional()
  @IsCronOrOff()
  BACKUP_TEST_RESTORE_CRON?: string;

  /** The scratch target of test restores; its database is dropped and recreated each time. */
  @IsOptional()
  @IsMysqlUrl()
  BACKUP_TEST_RESTORE_URL?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  BACKUP_RETAIN_FULL?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(7 * 24 * 3600)
  BACKUP_TIMEOUT_S?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(9)
  BACKUP_COMPRESSION_LEVEL?: number;

  /** S3's bucket naming rules (lower case, digits, dots, hyphens; 3 to 63 characters). */
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
    message: '$property must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots or hyphens',
  })
  BACKUP_S3_BUCKET?: string;

  /** A key prefix such as `logic-ha/prod`; a trailing slash is added when missing. */
  @IsOptional()
  @MaxLength(512)
  @Matches(/^(?!\/)[A-Za-z0-9!_.*'()/-]+$/, {
    message: "$property must be an object key prefix (letters, digits and !_.*'()/-, not starting with /)",
  })
  BACKUP_S3_PREFIX?: string;

  @IsOptional()
  @Matches(/^[a-z0-9-]{2,32}$/, { message: '$property must be a region name such as eu-west-1' })
  BACKUP_S3_REGION?: string;

  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: '$property must be an http:// or https:// URL' },
  )
  BACKUP_S3_ENDPOINT?: string;

  @IsOptional()
  @IsIn(BOOLEAN_WORDS)
  BACKUP_S3_FORCE_PATH_STYLE?: (typeof BOOLEAN_WORDS)[number];

  @IsOptional()
  @IsString()
  @MaxLength(128)
  BACKUP_S3_ACCESS_KEY_ID?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  BACKUP_S3_SECRET_ACCESS_KEY?: string;

  @IsOptional()
  @IsIn(S3_CHECKSUM_MODES)
  BACKUP_S3_CHECKSUM_CALCULATION?: (typeof S3_CHECKSUM_MODES)[number];

  @IsOptional()
  @IsIn(S3_CHECKSUM_MODES)
  BACKUP_S3_CHECKSUM_VALIDATION?: (typeof S3_CHECKSUM_MODES)[number];

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(20)
  BACKUP_S3_MAX_ATTEMPTS?: number;

  @IsOptional()
  @IsIn(BACKUP_CIPHERS)
  BACKUP_ENCRYPTION?: (typeof BACKUP_CIPHERS)[number];

  /** `id:base64key` pairs, comma-separated; checked in app-config.factory.ts. */
  @IsOptional()
  @IsString()
  BACKUP_ENCRYPTION_KEYS?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  BACKUP_ENCRYPTION_KEYS_FILE?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  HEARTBEAT_INTERVAL_MS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(50)
  @Max(60_000)
  HEARTBEAT_TIMEOUT_MS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  FAILURE_THRESHOLD?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(7 * 24 * 3600 * 1000)
  FAILOVER_COOLDOWN_MS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  FAILOVER_APPLY_TIMEOUT_MS?: number;

  /** 0: no fast path; otherwise at least two probes 250–500 ms apart (checked in app-config.factory.ts). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000)
  FAILOVER_FAST_CONFIRM_MS?: number;

  @IsOptional()
  @IsIn(BOOLEAN_WORDS)
  FAILOVER_FORCE_SINGLE_NODE?: (typeof BOOLEAN_WORDS)[number];

  /** Shell command lines (run with /bin/sh -c); checked further in app-config.factory.ts. */
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  FAILOVER_PRE_HOOK?: string;

  @IsOptional()
  @IsString()
  @MaxLength(4096)
  FAILOVER_POST_HOOK?: string;

  @IsOptional()
  @IsString()
  @MaxLength(4096)
  FAILOVER_FAILED_HOOK?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600_000)
  FAILOVER_HOOK_TIMEOUT_MS?: number;

  @IsOptional()
  @IsIn(BOOLEAN_WORDS)
  FAILOVER_AUTO_REJOIN?: (typeof BOOLEAN_WORDS)[number];

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  FAILOVER_LOSS_WAIT_MS?: number;

  @IsOptional()
  @IsIn(BOOLEAN_WORDS)
  FAILOVER_ALLOW_LOSS?: (typeof BOOLEAN_WORDS)[number];

  @IsOptional()
  @IsIn(BOOLEAN_WORDS)
  FAILOVER_CONFIGURE_REPLICAS?: (typeof BOOLEAN_WORDS)[number];

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(24 * 3600 * 1000)
  MIGRATION_LOCK_TIMEOUT_MS?: number;

  @IsOptional()
  @IsIn(BOOLEAN_WORDS)
  DB_BASELINE_ON_START?: (typeof BOOLEAN_WORDS)[number];

  @IsOptional()
  @IsString()
  @MinLength(1)
  ETCD_ENDPOINTS?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(2000)
  @Max(600_000)
  CLUSTER_LEASE_TTL_MS?: number;

  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, { message: 'must be 1 to 128 letters, digits, ".", "_", ":" or "-"' })
  CLUSTER_NODE_ID?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  CLUSTER_NODE_ADDRESS?: string;

  @IsOptional()
  @IsString()
  @Matches(/^\/[A-Za-z0-9._/-]*[^/]$/, { message: 'must start with "/" and not end with "/"' })
  CLUSTER_PREFIX?: string;

  @IsOptional()
  @IsIn(BOOLEAN_WORDS)
  CLUSTER_FAILSAFE?: (typeof BOOLEAN_WORDS)[number];

  /** Standard Webhooks receivers, comma-separated http(s) URLs; checked in webhooks.config.ts. */
  @IsOptional()
  @IsString()
  WEBHOOK_URLS?: string;

  /** `whsec_` + base64 of 24 to 64 bytes; checked in webhooks.config.ts. */
  @IsOptional()
  @IsString()
  WEBHOOK_SECRET?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(120_000)
  WEBHOOK_TIMEOUT_MS?: number;

  /** Waits after each failed attempt (`5s,5m,30m,2h,...`); checked in webhooks.config.ts. */
  @IsOptional()
  @IsString()
  WEBHOOK_RETRY_SCHEDULE?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(30 * 24 * 3600 * 1000)
  WEBHOOK_MAX_AGE_MS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(60_000)
  WEBHOOK_POLL_INTERVAL_MS?: number;
}

/** Variables whose values must never appear in a log line or an error message. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'ADMIN_TOKEN',
  'RUNTIME_TOKEN',
  'METRICS_TOKEN',
  'DB_ADMIN_PASSWORD',
  'DB_REPLICATION_PASSWORD',
  'DB_PRIMARY_URL',
  'DB_STANDBY_URLS',
  'CONFIG_HOST_TOKEN',
  'CONFIG_CACHE_REDIS_URL',
  'BACKUP_ENCRYPTION_KEYS',
  'BACKUP_S3_SECRET_ACCESS_KEY',
  'BACKUP_TEST_RESTORE_URL',
  // A hook's command line may carry a token (curl -H "Authorization: ...").
  'FAILOVER_PRE_HOOK',
  'FAILOVER_POST_HOOK',
  'FAILOVER_FAILED_HOOK',
  'WEBHOOK_SECRET',
  // A receiver's URL often carries its own token (in the path or the query).
  'WEBHOOK_URLS',
]);
