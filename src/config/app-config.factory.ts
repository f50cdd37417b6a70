import { accessSync, constants, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { type ValidationError, validateSync } from 'class-validator';
import {
  type AppConfig,
  type BackupConfig,
  type BackupEncryptionConfig,
  type ClusterConfig,
  type ConfigStoreConfig,
  type Credentials,
  type DatabaseConfig,
  type FailoverConfig,
  type FailoverHooksConfig,
  type InstanceJobsConfig,
  type RuntimeAccess,
  type S3BackupConfig,
} from './app-config';
import { type ReadKeyFile, loadBackupEncryption } from './backup-encryption.config';
import { type ConfigProblem, ConfigValidationError } from './config-validation.error';
import { BACKUP_S3_VARIABLES, EnvironmentSchema, SECRET_VARIABLES } from './environment.schema';
import { type MysqlEndpoint, isParseError, parseMysqlUrl, splitUrlList } from './mysql-url';
import { loadWebhooks } from './webhooks.config';

const MIB = 1024 * 1024;
export const DEFAULTS = {
  DATA_DIR: './data',
  HOST: '127.0.0.1',
  PORT: 3000,
  DB_CONNECT_TIMEOUT_MS: 5000,
  DB_POOL_SIZE: 10,
  BODY_LIMIT_BYTES: 5 * MIB,
  SHUTDOWN_TIMEOUT_MS: 10_000,
  HEALTH_CHECK_TIMEOUT_MS: 2000,
  HEALTH_DISK_MIN_FREE_BYTES: 100 * MIB,
  HEALTH_HEAP_MAX_BYTES: 1536 * MIB,
  LOG_LEVEL: 'info',
  LOG_REQUESTS: 'all',
  CRON_TIMEZONE: 'UTC',
  INSTANCE_LONG_RUNNING_CRON: '* * * * *',
  INSTANCE_LONG_RUNNING_TIMEOUT_S: 3600,
  INSTANCE_RETRY_CRON: '*/5 * * * *',
  INSTANCE_RETRY_MAX_TIMES: 3,
  INSTANCE_RETRY_LOOKBACK_S: 86_400,
  INSTANCE_RETRY_COOLDOWN_S: 60,
  INSTANCE_CLEANUP_CRON: '30 3 * * *',
  INSTANCE_RETENTION_DAYS: 30,
  CONFIG_MODE: 'online',
  CONFIG_HOST_TIMEOUT_MS: 3000,
  CONFIG_HOST_RETRIES: 2,
  CONFIG_HOST_BREAKER_FAILURES: 5,
  CONFIG_HOST_BREAKER_HALF_OPEN_MS: 10_000,
  CONFIG_CACHE_TTL_MS: 3_600_000,
  CONFIG_CACHE_MAX: 10_000,
  CONFIG_CACHE_STORE: 'memory',
  BACKUP_STORAGE: 'local',
  BACKUP_FULL_CRON: '0 2 * * *',
  BACKUP_INCREMENTAL_CRON: '0 * * * *',
  BACKUP_RETAIN_FULL: 7,
  BACKUP_TIMEOUT_S: 6 * 3600,
  BACKUP_COMPRESSION_LEVEL: 1,
  BACKUP_S3_CHECKSUM: 'when_required',
  BACKUP_S3_MAX_ATTEMPTS: 8,
  /** S3-compatible services mostly ignore the region, but the SDK's signer needs one. */
  BACKUP_S3_ENDPOINT_REGION: 'us-east-1',
  // Sunday 04:00: after the nightly full, away from the hourly incrementals' minute.
  BACKUP_TEST_RESTORE_CRON: '30 4 * * 0',
  HEARTBEAT_INTERVAL_MS: 1000,
  FAILURE_THRESHOLD: 3,
  FAILOVER_COOLDOWN_MS: 600_000,
  FAILOVER_APPLY_TIMEOUT_MS: 30_000,
  // Long enough for a script that asks a load balancer or a chat bot; short next to an RTO of seconds it delays.
  FAILOVER_HOOK_TIMEOUT_MS: 10_000,
  // Long enough for data in flight and for an old primary restarted at once (systemd) to reach the
  // candidate; short enough that, with FAILOVER_ALLOW_LOSS=true, it adds at most 5 s to the outage.
  FAILOVER_LOSS_WAIT_MS: 5000,
  FAILOVER_FAST_CONFIRM_MS: 1000,
  MIGRATION_LOCK_TIMEOUT_MS: 300_000,
  CLUSTER_LEASE_TTL_MS: 10_000,
  CLUSTER_PREFIX: '/logic-ha',
} as const;

const CLUSTER_ONLY_VARIABLES = [
  'CLUSTER_LEASE_TTL_MS',
  'CLUSTER_NODE_ID',
  'CLUSTER_NODE_ADDRESS',
  'CLUSTER_PREFIX',
  'CLUSTER_FAILSAFE',
] as const;

type Environment = Record<string, string | undefined>;

/**
 * Validates the environment and builds the typed AppConfig.
 * Throws ConfigValidationError listing every bad variable; never echoes a secret value.
 */
export function loadAppConfig(environment: Environment, cwd = process.cwd(), readKeyFile?: ReadKeyFile): AppConfig {
  const env = withoutEmptyValues(environment);
  const schema = plainToInstance(EnvironmentSchema, env);
  const problems = validateSync(schema, { forbidUnknownValues: false }).flatMap((error) => toProblems(error, env));
  problems.push(...crossFieldProblems(schema));
  const encryption = loadBackupEncryption(schema, cwd, readKeyFile);
  problems.push(...encryption.problems);
  const webhooks = loadWebhooks(schema);
  problems.push(...webhooks.problems);
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return { ...buildConfig(schema, cwd, encryption.config), webhooks: webhooks.config };
}

/** `PORT=` in a unit file or compose file means "use the default", as most tools read it. */
function withoutEmptyValues(environment: Environment): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(environment)) {
    if (value !== undefined && value.trim() !== '') result[key] = value;
  }
  return result;
}

/** One problem per variable: its reasons joined, the value shown unless it is a secret. */
function toProblems(error: ValidationError, env: Record<string, string>): ConfigProblem[] {
  const variable = error.property;
  const reasons = Object.values(error.constraints ?? {})
    .reverse() // class-validator lists the decorator nearest the property last
    .map((reason) => reason.replace(new RegExp(`^${variable} `), ''));
  if (reasons.length === 0) return [];
  const shown = SECRET_VARIABLES.has(variable) ? '' : ` (got ${JSON.stringify(env[variable])})`;
  return [{ variable, reason: `${reasons.join('; ')}${shown}` }];
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

function crossFieldProblems(schema: EnvironmentSchema): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (schema.DB_TYPE === 'mysql' && !schema.DB_PRIMARY_URL) {
    problems.push({ variable: 'DB_PRIMARY_URL', reason: 'is required when DB_TYPE=mysql' });
  }
  if (schema.DB_TYPE !== 'mysql' && schema.DB_STANDBY_URLS) {
    problems.push({ variable: 'DB_STANDBY_URLS', reason: 'needs DB_TYPE=mysql (SQLite has no standby)' });
  }
  if (schema.RUNTIME_AUTH === 'token' && !schema.RUNTIME_TOKEN) {
    problems.push({ variable: 'RUNTIME_TOKEN', reason: 'is required when RUNTIME_AUTH=token' });
  }
  const host = schema.HOST ?? DEFAULTS.HOST;
  if (!isLoopback(host) && !schema.RUNTIME_TOKEN && schema.RUNTIME_AUTH !== 'none') {
    problems.push({
      variable: 'RUNTIME_TOKEN',
      reason: `is required when HOST (${host}) is not a loopback address; set it, or open runtime routes explicitly with RUNTIME_AUTH=none`,
    });
  }
  if (schema.CONFIG_CACHE_STORE === 'redis' && !schema.CONFIG_CACHE_REDIS_URL) {
    problems.push({ variable: 'CONFIG_CACHE_REDIS_URL', reason: 'is required when CONFIG_CACHE_STORE=redis' });
  }
  if (schema.DB_STANDBY_URLS && !schema.DB_ADMIN_USER) {
    problems.push({
      variable: 'DB_ADMIN_USER',
      reason: 'is required when DB_STANDBY_URLS is set: the failover monitor needs its own admin account',
    });
  }
  problems.push(...fastPathProblems(schema));
  problems.push(...clusterProblems(schema));
  problems.push(...s3Problems(schema));
  problems.push(...hookProblems(schema));
  problems.push(...pairProblems(schema, 'DB_ADMIN_USER', 'DB_ADMIN_PASSWORD'));
  problems.push(...pairProblems(schema, 'DB_REPLICATION_USER', 'DB_REPLICATION_PASSWORD'));
  return problems;
}

/** The fast path probes at least twice, 250–500 ms apart, and must be shorter than the full detection window. */
function fastPathProblems(schema: EnvironmentSchema): ConfigProblem[] {
  const fast = schema.FAILOVER_FAST_CONFIRM_MS;
  if (fast === undefined || fast === 0) return [];
  if (fast < 500) return [{ variable: 'FAILOVER_FAST_CONFIRM_MS', reason: 'must be 0 (off) or at least 500' }];
  const interval = schema.HEARTBEAT_INTERVAL_MS ?? DEFAULTS.HEARTBEAT_INTERVAL_MS;
  const window = interval * (schema.FAILURE_THRESHOLD ?? DEFAULTS.FAILURE_THRESHOLD);
  if (fast >= window) {
    return [
      {
        variable: 'FAILOVER_FAST_CONFIRM_MS',
        reason: `must be shorter than the detection window (HEARTBEAT_INTERVAL_MS x FAILURE_THRESHOLD = ${window} ms), or 0`,
      },
    ];
  }
  return [];
}

function clusterProblems(schema: EnvironmentSchema): ConfigProblem[] {
  if (!schema.ETCD_ENDPOINTS) {
    return CLUSTER_ONLY_VARIABLES.filter((name) => schema[name] !== undefined).map((variable) => ({
      variable,
      reason: 'needs ETCD_ENDPOINTS (cluster mode)',
    }));
  }
  const problems: ConfigProblem[] = [];
  if (schema.FAILOVER_FORCE_SINGLE_NODE === 'true')
    problems.push({
      variable: 'FAILOVER_FORCE_SINGLE_NODE',
      reason: 'applies only in single-node mode (without ETCD_ENDPOINTS); a cluster node follows its leader',
    });
  const bad = etcdEndpoints(schema.ETCD_ENDPOINTS).filter((url) => !/^https?:\/\/[^/:\s]+:\d{1,5}$/.test(url));
  if (bad.length > 0)
    problems.push({
      variable: 'ETCD_ENDPOINTS',
      reason: `every entry must be http(s)://host:port; not: ${bad.join(', ')}`,
    });
  if (schema.DB_TYPE !== 'mysql')
    problems.push({
      variable: 'ETCD_ENDPOINTS',
      reason: 'needs DB_TYPE=mysql: cluster nodes share one replicated database',
    });
  if (!schema.ADMIN_TOKEN)
    problems.push({
      variable: 'ADMIN_TOKEN',
      reason: 'is required in cluster mode (ETCD_ENDPOINTS): every node and the CLI use the same token',
    });
  return problems;
}

function s3Problems(schema: EnvironmentSchema): ConfigProblem[] {
  if (schema.BACKUP_STORAGE !== 's3')
    return BACKUP_S3_VARIABLES.filter((name) => schema[name] !== undefined).map((variable) => ({
      variable,
      reason: 'needs BACKUP_STORAGE=s3',
    }));
  const problems: ConfigProblem[] = [];
  if (!schema.BACKUP_S3_BUCKET)
    problems.push({ variable: 'BACKUP_S3_BUCKET', reason: 'is required when BACKUP_STORAGE=s3' });
  const keyId = schema.BACKUP_S3_ACCESS_KEY_ID !== undefined;
  const secret = schema.BACKUP_S3_SECRET_ACCESS_KEY !== undefined;
  if (keyId !== secret)
    problems.push({
      variable: keyId ? 'BACKUP_S3_SECRET_ACCESS_KEY' : 'BACKUP_S3_ACCESS_KEY_ID',
      reason: `is required when ${keyId ? 'BACKUP_S3_ACCESS_KEY_ID' : 'BACKUP_S3_SECRET_ACCESS_KEY'} is set (set both, or neither to use the AWS SDK's default credential chain)`,
    });
  return problems;
}

function etcdEndpoints(list: string): string[] {
  return list
    .split(',')
    .map((url) => url.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

function buildClusterConfig(schema: EnvironmentSchema, host: string, port: number): ClusterConfig | undefined {
  if (!schema.ETCD_ENDPOINTS) return undefined;
  const advertisedHost = host === '0.0.0.0' || host === '::' ? hostname() : host;
  return {
    endpoints: etcdEndpoints(schema.ETCD_ENDPOINTS),
    leaseTtlMs: schema.CLUSTER_LEASE_TTL_MS ?? DEFAULTS.CLUSTER_LEASE_TTL_MS,
    nodeId: schema.CLUSTER_NODE_ID ?? `${hostname()}-${port}`,
    nodeAddress: (
      schema.CLUSTER_NODE_ADDRESS ??
      `http://${advertisedHost.includes(':') ? `[${advertisedHost}]` : advertisedHost}:${port}`
    ).replace(/\/+$/, ''),
    prefix: schema.CLUSTER_PREFIX ?? DEFAULTS.CLUSTER_PREFIX,
    failsafe: schema.CLUSTER_FAILSAFE === 'true',
  };
}

function pairProblems(schema: EnvironmentSchema, user: keyof EnvironmentSchema, password: keyof EnvironmentSchema) {
  return schema[password] !== undefined && schema[user] === undefined
    ? [{ variable: user, reason: `is required when ${password} is set` }]
    : [];
}

function buildConfig(
  schema: EnvironmentSchema,
  cwd: string,
  encryption: BackupEncryptionConfig,
): Omit<AppConfig, 'webhooks'> {
  const dataDir = resolve(cwd, schema.DATA_DIR ?? DEFAULTS.DATA_DIR);
  const host = schema.HOST ?? DEFAULTS.HOST;
  return {
    dataDir,
    database: buildDatabaseConfig(schema, dataDir, cwd),
    http: {
      host,
      port: schema.PORT ?? DEFAULTS.PORT,
      bodyLimitBytes: schema.BODY_LIMIT_BYTES ?? DEFAULTS.BODY_LIMIT_BYTES,
      shutdownTimeoutMs: schema.SHUTDOWN_TIMEOUT_MS ?? DEFAULTS.SHUTDOWN_TIMEOUT_MS,
    },
    auth: {
      adminToken: schema.ADMIN_TOKEN,
      runtimeToken: schema.RUNTIME_TOKEN,
      runtimeAccess: runtimeAccess(schema),
      metricsToken: schema.METRICS_TOKEN,
    },
    log: { level: schema.LOG_LEVEL ?? DEFAULTS.LOG_LEVEL, requests: schema.LOG_REQUESTS ?? DEFAULTS.LOG_REQUESTS },
    health: {
      checkTimeoutMs: schema.HEALTH_CHECK_TIMEOUT_MS ?? DEFAULTS.HEALTH_CHECK_TIMEOUT_MS,
      diskMinFreeBytes: schema.HEALTH_DISK_MIN_FREE_BYTES ?? DEFAULTS.HEALTH_DISK_MIN_FREE_BYTES,
      heapMaxBytes: schema.HEALTH_HEAP_MAX_BYTES ?? DEFAULTS.HEALTH_HEAP_MAX_BYTES,
    },
    instanceJobs: buildInstanceJobsConfig(schema),
    configStore: buildConfigStoreConfig(schema),
    backup: { ...buildBackupConfig(schema, dataDir, cwd), encryption },
    failover: buildFailoverConfig(schema),
    failoverHooks: buildFailoverHooksConfig(schema),
    migrations: {
      lockTimeoutMs: schema.MIGRATION_LOCK_TIMEOUT_MS ?? DEFAULTS.MIGRATION_LOCK_TIMEOUT_MS,
      baselineOnStart: schema.DB_BASELINE_ON_START === 'true',
    },
    monitorAccount: credentials(schema.DB_ADMIN_USER, schema.DB_ADMIN_PASSWORD),
    replicationAccount: credentials(schema.DB_REPLICATION_USER, schema.DB_REPLICATION_PASSWORD),
    cluster: buildClusterConfig(schema, host, schema.PORT ?? DEFAULTS.PORT),
  };
}

function buildConfigStoreConfig(schema: EnvironmentSchema): ConfigStoreConfig {
  return {
    mode: schema.CONFIG_MODE ?? DEFAULTS.CONFIG_MODE,
    hostUrl: schema.CONFIG_HOST_URL?.replace(/\/+$/, ''),
    hostToken: schema.CONFIG_HOST_TOKEN,
    hostTimeoutMs: schema.CONFIG_HOST_TIMEOUT_MS ?? DEFAULTS.CONFIG_HOST_TIMEOUT_MS,
    hostRetries: schema.CONFIG_HOST_RETRIES ?? DEFAULTS.CONFIG_HOST_RETRIES,
    breakerFailures: schema.CONFIG_HOST_BREAKER_FAILURES ?? DEFAULTS.CONFIG_HOST_BREAKER_FAILURES,
    breakerHalfOpenMs: schema.CONFIG_HOST_BREAKER_HALF_OPEN_MS ?? DEFAULTS.CONFIG_HOST_BREAKER_HALF_OPEN_MS,
    cacheTtlMs: schema.CONFIG_CACHE_TTL_MS ?? DEFAULTS.CONFIG_CACHE_TTL_MS,
    cacheMax: schema.CONFIG_CACHE_MAX ?? DEFAULTS.CONFIG_CACHE_MAX,
    cacheStore: schema.CONFIG_CACHE_STORE ?? DEFAULTS.CONFIG_CACHE_STORE,
    cacheRedisUrl: schema.CONFIG_CACHE_REDIS_URL,
  };
}

function buildBackupConfig(schema: EnvironmentSchema, dataDir: string, cwd: string): Omit<BackupConfig, 'encryption'> {
  return {
    storage: schema.BACKUP_STORAGE ?? DEFAULTS.BACKUP_STORAGE,
    directory: schema.BACKUP_DIR ? resolve(cwd, schema.BACKUP_DIR) : join(dataDir, 'backups'),
    fullSchedule: schema.BACKUP_FULL_CRON ?? DEFAULTS.BACKUP_FULL_CRON,
    incrementalSchedule: schema.BACKUP_INCREMENTAL_CRON ?? DEFAULTS.BACKUP_INCREMENTAL_CRON,
    timeZone: schema.BACKUP_TIMEZONE ?? schema.CRON_TIMEZONE ?? DEFAULTS.CRON_TIMEZONE,
    retainFull: schema.BACKUP_RETAIN_FULL ?? DEFAULTS.BACKUP_RETAIN_FULL,
    timeoutSeconds: schema.BACKUP_TIMEOUT_S ?? DEFAULTS.BACKUP_TIMEOUT_S,
    compressionLevel: schema.BACKUP_COMPRESSION_LEVEL ?? DEFAULTS.BACKUP_COMPRESSION_LEVEL,
    testRestoreSchedule: schema.BACKUP_TEST_RESTORE_CRON ?? DEFAULTS.BACKUP_TEST_RESTORE_CRON,
    testRestoreTarget: schema.BACKUP_TEST_RESTORE_URL ? endpointOf(schema.BACKUP_TEST_RESTORE_URL) : null,
    s3: buildS3Config(schema),
  };
}

function buildS3Config(schema: EnvironmentSchema): S3BackupConfig | undefined {
  if (schema.BACKUP_STORAGE !== 's3') return undefined;
  const prefix = schema.BACKUP_S3_PREFIX?.replace(/\/*$/, '/') ?? '';
  const endpoint = schema.BACKUP_S3_ENDPOINT?.replace(/\/+$/, '');
  const keyId = schema.BACKUP_S3_ACCESS_KEY_ID;
  const secret = schema.BACKUP_S3_SECRET_ACCESS_KEY;
  return {
    bucket: schema.BACKUP_S3_BUCKET!,
    prefix,
    region: schema.BACKUP_S3_REGION ?? (endpoint ? DEFAULTS.BACKUP_S3_ENDPOINT_REGION : undefined),
    endpoint,
    forcePathStyle: schema.BACKUP_S3_FORCE_PATH_STYLE === 'true',
    credentials: keyId && secret ? { accessKeyId: keyId, secretAccessKey: secret } : undefined,
    checksumCalculation: schema.BACKUP_S3_CHECKSUM_CALCULATION ?? DEFAULTS.BACKUP_S3_CHECKSUM,
    checksumValidation: schema.BACKUP_S3_CHECKSUM_VALIDATION ?? DEFAULTS.BACKUP_S3_CHECKSUM,
    maxAttempts: schema.BACKUP_S3_MAX_ATTEMPTS ?? DEFAULTS.BACKUP_S3_MAX_ATTEMPTS,
  };
}

function buildFailoverConfig(schema: EnvironmentSchema): FailoverConfig {
  const heartbeatIntervalMs = schema.HEARTBEAT_INTERVAL_MS ?? DEFAULTS.HEARTBEAT_INTERVAL_MS;
  return {
    heartbeatIntervalMs,
    heartbeatTimeoutMs: schema.HEARTBEAT_TIMEOUT_MS ?? heartbeatIntervalMs,
    failureThreshold: schema.FAILURE_THRESHOLD ?? DEFAULTS.FAILURE_THRESHOLD,
    cooldownMs: schema.FAILOVER_COOLDOWN_MS ?? DEFAULTS.FAILOVER_COOLDOWN_MS,
    applyTimeoutMs: schema.FAILOVER_APPLY_TIMEOUT_MS ?? DEFAULTS.FAILOVER_APPLY_TIMEOUT_MS,
    fastConfirmMs: schema.FAILOVER_FAST_CONFIRM_MS ?? DEFAULTS.FAILOVER_FAST_CONFIRM_MS,
    forceSingleNode: schema.FAILOVER_FORCE_SINGLE_NODE === 'true',
    autoRejoin: schema.FAILOVER_AUTO_REJOIN !== 'false',
    lossWaitMs: schema.FAILOVER_LOSS_WAIT_MS ?? DEFAULTS.FAILOVER_LOSS_WAIT_MS,
    allowLoss: schema.FAILOVER_ALLOW_LOSS === 'true',
    configureReplicas: schema.FAILOVER_CONFIGURE_REPLICAS !== 'false',
  };
}

function buildFailoverHooksConfig(schema: EnvironmentSchema): FailoverHooksConfig {
  return {
    pre: schema.FAILOVER_PRE_HOOK?.trim() ?? null,
    post: schema.FAILOVER_POST_HOOK?.trim() ?? null,
    failed: schema.FAILOVER_FAILED_HOOK?.trim() ?? null,
    timeoutMs: schema.FAILOVER_HOOK_TIMEOUT_MS ?? DEFAULTS.FAILOVER_HOOK_TIMEOUT_MS,
  };
}

const HOOK_VARIABLES = ['FAILOVER_PRE_HOOK', 'FAILOVER_POST_HOOK', 'FAILOVER_FAILED_HOOK'] as const;

/** Hooks run around failovers: without a replicated database they would never run, which an operator should hear. */
function hookProblems(schema: EnvironmentSchema): ConfigProblem[] {
  const set = HOOK_VARIABLES.filter((name) => schema[name] !== undefined);
  const problems: ConfigProblem[] = [];
  if (schema.DB_TYPE !== 'mysql' || !schema.DB_STANDBY_URLS)
    problems.push(
      ...set.map((variable) => ({
        variable,
        reason:
          'needs DB_TYPE=mysql and DB_STANDBY_URLS: hooks run around failovers, and there is nothing to fail over',
      })),
    );
  for (const variable of set) {
    const program = missingProgram(schema[variable]!);
    // Only the program is named, never the whole value: the rest of the line may hold a token.
    if (program) problems.push({ variable, reason: `runs ${program}, which is not an executable file` });
  }
  if (schema.FAILOVER_HOOK_TIMEOUT_MS !== undefined && set.length === 0)
    problems.push({
      variable: 'FAILOVER_HOOK_TIMEOUT_MS',
      reason: 'needs a hook (FAILOVER_PRE_HOOK, FAILOVER_POST_HOOK or FAILOVER_FAILED_HOOK)',
    });
  return problems;
}

/**
 * A command that starts with an absolute path (the usual form, `/etc/logic-ha/pre-failover.sh arg`)
 * is checked at start, so a typo is found now rather than by the first failover it vetoes.
 * Anything else (a pipeline, a name looked up in PATH) is the shell's business.
 */
function missingProgram(command: string): string | null {
  const program = /^\s*(\/[^\s;&|<>()$`'"\\]+)(\s|$)/.exec(command)?.[1];
  if (!program) return null;
  try {
    accessSync(program, constants.X_OK);
    return statSync(program).isFile() ? null : program;
  } catch {
    return program;
  }
}

function buildInstanceJobsConfig(schema: EnvironmentSchema): InstanceJobsConfig {
  return {
    timeZone: schema.CRON_TIMEZONE ?? DEFAULTS.CRON_TIMEZONE,
    longRunning: {
      schedule: schema.INSTANCE_LONG_RUNNING_CRON ?? DEFAULTS.INSTANCE_LONG_RUNNING_CRON,
      timeoutSeconds: schema.INSTANCE_LONG_RUNNING_TIMEOUT_S ?? DEFAULTS.INSTANCE_LONG_RUNNING_TIMEOUT_S,
    },
    retry: {
      schedule: schema.INSTANCE_RETRY_CRON ?? DEFAULTS.INSTANCE_RETRY_CRON,
      maxRetryTimes: schema.INSTANCE_RETRY_MAX_TIMES ?? DEFAULTS.INSTANCE_RETRY_MAX_TIMES,
      excludeLogicIds: (schema.INSTANCE_RETRY_EXCLUDE_LOGIC_IDS ?? '')
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
      lookbackSeconds: schema.INSTANCE_RETRY_LOOKBACK_S ?? DEFAULTS.INSTANCE_RETRY_LOOKBACK_S,
      cooldownSeconds: schema.INSTANCE_RETRY_COOLDOWN_S ?? DEFAULTS.INSTANCE_RETRY_COOLDOWN_S,
    },
    cleanup: {
      schedule: schema.INSTANCE_CLEANUP_CRON ?? DEFAULTS.INSTANCE_CLEANUP_CRON,
      retentionDays: schema.INSTANCE_RETENTION_DAYS ?? DEFAULTS.INSTANCE_RETENTION_DAYS,
    },
  };
}

function runtimeAccess(schema: EnvironmentSchema): RuntimeAccess {
  if (schema.RUNTIME_AUTH === 'none') return 'none';
  return schema.RUNTIME_TOKEN ? 'token' : 'loopback-open';
}

function credentials(user?: string, password?: string): Credentials | undefined {
  return user === undefined ? undefined : { user, password: password ?? '' };
}

function buildDatabaseConfig(schema: EnvironmentSchema, dataDir: string, cwd: string): DatabaseConfig {
  if (schema.DB_TYPE !== 'mysql') {
    const sqlitePath = schema.SQLITE_PATH ? resolve(cwd, schema.SQLITE_PATH) : join(dataDir, 'logic-ha.sqlite');
    return { type: 'sqlite', sqlitePath };
  }
  return {
    type: 'mysql',
    primary: endpointOf(schema.DB_PRIMARY_URL!),
    standbys: splitUrlList(schema.DB_STANDBY_URLS ?? '').map(endpointOf),
    connectTimeoutMs: schema.DB_CONNECT_TIMEOUT_MS ?? DEFAULTS.DB_CONNECT_TIMEOUT_MS,
    poolSize: schema.DB_POOL_SIZE ?? DEFAULTS.DB_POOL_SIZE,
  };
}

/** Only called on URLs the validator already accepted. */
function endpointOf(url: string): MysqlEndpoint {
  const parsed = parseMysqlUrl(url);
  if (isParseError(parsed)) throw new Error(`unreachable: validated URL failed to parse: ${parsed.error}`);
  return parsed;
}

/** A log-safe summary of the configuration: no token, no password. */
export function describeConfig(config: AppConfig): Record<string, unknown> {
  const db = config.database;
  return {
    dataDir: config.dataDir,
    database:
      db.type === 'sqlite'
        ? { type: 'sqlite', path: db.sqlitePath }
        : {
            type: 'mysql',
            primary: `${db.primary.host}:${db.primary.port}/${db.primary.database}`,
            standbys: db.standbys.length,
          },
    listen: `${config.http.host}:${config.http.port}`,
    adminTokenSource: config.auth.adminToken ? 'ADMIN_TOKEN' : 'DATA_DIR/admin-token',
    runtimeAccess: config.auth.runtimeAccess,
    metricsAccess: config.auth.metricsToken ? 'METRICS_TOKEN' : 'loopback only',
    logLevel: config.log.level,
    logRequests: config.log.requests,
    cluster: config.cluster
      ? { nodeId: config.cluster.nodeId, etcd: config.cluster.endpoints.length, leaseTtlMs: config.cluster.leaseTtlMs }
      : 'single-node',
    webhooks: config.webhooks.endpoints.length,
  };
}
