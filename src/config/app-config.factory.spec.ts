import { join } from 'node:path';
import { describeConfig, loadAppConfig } from './app-config.factory';
import { ConfigValidationError } from './config-validation.error';

const CWD = '/srv/logic-ha';

function problemsOf(env: Record<string, string>): string {
  try {
    loadAppConfig(env, CWD);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.message;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadAppConfig', () => {
  it('boots on defaults with an empty environment: SQLite under ./data, loopback:3000', () => {
    const config = loadAppConfig({}, CWD);
    expect(config).toMatchObject({
      dataDir: join(CWD, 'data'),
      database: { type: 'sqlite', sqlitePath: join(CWD, 'data', 'logic-ha.sqlite') },
      http: { host: '127.0.0.1', port: 3000, bodyLimitBytes: 5 * 1024 * 1024 },
      auth: { adminToken: undefined, runtimeToken: undefined, runtimeAccess: 'loopback-open' },
      log: { level: 'info', requests: 'all' },
    });
  });

  it('takes LOG_REQUESTS=errors or off for the access log', () => {
    expect(loadAppConfig({ LOG_REQUESTS: 'errors' }, CWD).log).toEqual({ level: 'info', requests: 'errors' });
    expect(loadAppConfig({ LOG_REQUESTS: 'off', LOG_LEVEL: 'debug' }, CWD).log).toEqual({
      level: 'debug',
      requests: 'off',
    });
  });

  it('schedules the instance jobs by default and takes `off` to switch one off', () => {
    expect(loadAppConfig({}, CWD).instanceJobs).toEqual({
      timeZone: 'UTC',
      longRunning: { schedule: '* * * * *', timeoutSeconds: 3600 },
      retry: {
        schedule: '*/5 * * * *',
        maxRetryTimes: 3,
        excludeLogicIds: [],
        lookbackSeconds: 86400,
        cooldownSeconds: 60,
      },
      cleanup: { schedule: '30 3 * * *', retentionDays: 30 },
    });
    const custom = loadAppConfig(
      { INSTANCE_RETRY_CRON: 'off', INSTANCE_RETRY_EXCLUDE_LOGIC_IDS: 'a, b', CRON_TIMEZONE: 'Europe/Berlin' },
      CWD,
    ).instanceJobs;
    expect(custom).toMatchObject({
      timeZone: 'Europe/Berlin',
      retry: { schedule: 'off', excludeLogicIds: ['a', 'b'] },
    });
  });

  it('times failover from HEARTBEAT_INTERVAL_MS, the heartbeat timeout following the interval unless set', () => {
    expect(loadAppConfig({}, CWD).failover).toEqual({
      heartbeatIntervalMs: 1000,
      heartbeatTimeoutMs: 1000,
      failureThreshold: 3,
      cooldownMs: 600_000,
      applyTimeoutMs: 30_000,
      fastConfirmMs: 1000,
      forceSingleNode: false,
      autoRejoin: true,
      lossWaitMs: 5000,
      allowLoss: false,
      configureReplicas: true,
    });
    expect(loadAppConfig({ FAILOVER_FAST_CONFIRM_MS: '0' }, CWD).failover.fastConfirmMs).toBe(0);
    expect(loadAppConfig({ FAILOVER_FORCE_SINGLE_NODE: 'true' }, CWD).failover.forceSingleNode).toBe(true);
    expect(loadAppConfig({ FAILOVER_AUTO_REJOIN: 'false' }, CWD).failover.autoRejoin).toBe(false);
    expect(
      loadAppConfig(
        { FAILOVER_LOSS_WAIT_MS: '0', FAILOVER_ALLOW_LOSS: 'true', FAILOVER_CONFIGURE_REPLICAS: 'false' },
        CWD,
      ).failover,
    ).toMatchObject({ lossWaitMs: 0, allowLoss: true, configureReplicas: false });
    const tuned = loadAppConfig(
      { HEARTBEAT_INTERVAL_MS: '500', FAILURE_THRESHOLD: '5', HEARTBEAT_TIMEOUT_MS: '300' },
      CWD,
    ).failover;
    expect(tuned).toMatchObject({ heartbeatIntervalMs: 500, heartbeatTimeoutMs: 300, failureThreshold: 5 });
    expect(loadAppConfig({ HEARTBEAT_INTERVAL_MS: '400' }, CWD).failover.heartbeatTimeoutMs).toBe(400);
  });

  describe('failover hooks', () => {
    const replicated = {
      DB_TYPE: 'mysql',
      DB_PRIMARY_URL: 'mysql://u:p@h1/db',
      DB_STANDBY_URLS: 'mysql://u:p@h2/db',
      DB_ADMIN_USER: 'monitor',
    };

    it('runs none by default, with a 10 s timeout', () => {
      expect(loadAppConfig({}, CWD).failoverHooks).toEqual({ pre: null, post: null, failed: null, timeoutMs: 10_000 });
    });

    it('takes command lines (pipelines included) and a timeout, and keeps them out of the logged failover config', () => {
      const config = loadAppConfig(
        {
          ...replicated,
          FAILOVER_PRE_HOOK: ' /bin/sh -c "exit 0" ',
          FAILOVER_POST_HOOK: 'cat | logger -t logic-ha',
          FAILOVER_FAILED_HOOK: 'curl -fsS -d @- https://pager.example/hook',
          FAILOVER_HOOK_TIMEOUT_MS: '2500',
        },
        CWD,
      );
      expect(config.failoverHooks).toEqual({
        pre: '/bin/sh -c "exit 0"',
        post: 'cat | logger -t logic-ha',
        failed: 'curl -fsS -d @- https://pager.example/hook',
        timeoutMs: 2500,
      });
      expect(JSON.stringify(config.failover)).not.toMatch(/hook/i);
    });

    it.each([
      [{ FAILOVER_PRE_HOOK: 'true' }, /FAILOVER_PRE_HOOK: needs DB_TYPE=mysql and DB_STANDBY_URLS/],
      [{ ...replicated, FAILOVER_HOOK_TIMEOUT_MS: '5000' }, /FAILOVER_HOOK_TIMEOUT_MS: needs a hook/],
      [
        { ...replicated, FAILOVER_POST_HOOK: 'true', FAILOVER_HOOK_TIMEOUT_MS: '50' },
        /FAILOVER_HOOK_TIMEOUT_MS: .*100/,
      ],
      [
        { ...replicated, FAILOVER_PRE_HOOK: '/etc/logic-ha/no-such-hook.sh --token s3cr3t' },
        /FAILOVER_PRE_HOOK: runs \/etc\/logic-ha\/no-such-hook\.sh, which is not an executable file/,
      ],
      [
        { ...replicated, FAILOVER_FAILED_HOOK: '/etc' },
        /FAILOVER_FAILED_HOOK: runs \/etc, which is not an executable file/,
      ],
    ])('refuses %j', (env, expected) => {
      expect(problemsOf(env as Record<string, string>)).toMatch(expected);
    });

    it('never echoes a hook command line, which may hold a token', () => {
      const message = problemsOf({
        ...replicated,
        FAILOVER_PRE_HOOK: `/no/such/hook --token s3cr3t ${'x'.repeat(5000)}`,
      });
      expect(message).toMatch(/FAILOVER_PRE_HOOK/);
      expect(message).not.toContain('s3cr3t');
    });
  });

  it('waits 5 minutes for the migration lock and adopts no logic-solution database at start, unless told', () => {
    expect(loadAppConfig({}, CWD).migrations).toEqual({ lockTimeoutMs: 300_000, baselineOnStart: false });
    expect(loadAppConfig({ MIGRATION_LOCK_TIMEOUT_MS: '0', DB_BASELINE_ON_START: 'true' }, CWD).migrations).toEqual({
      lockTimeoutMs: 0,
      baselineOnStart: true,
    });
    expect(loadAppConfig({ DB_BASELINE_ON_START: 'false' }, CWD).migrations.baselineOnStart).toBe(false);
  });

  describe('cluster mode', () => {
    const MYSQL = {
      DB_TYPE: 'mysql',
      DB_PRIMARY_URL: 'mysql://app:pw@10.0.0.1:3306/logic',
      ADMIN_TOKEN: 'a'.repeat(32),
    };

    it('is off unless ETCD_ENDPOINTS is set', () => {
      expect(loadAppConfig(MYSQL, CWD).cluster).toBeUndefined();
    });

    it('reads the endpoints and the lease, and names the node after its host and port unless told', () => {
      const config = loadAppConfig(
        {
          ...MYSQL,
          ETCD_ENDPOINTS: 'http://10.0.0.5:2379, http://10.0.0.6:2379/',
          HOST: '10.0.0.1',
          PORT: '8080',
          RUNTIME_TOKEN: 'r'.repeat(32),
        },
        CWD,
      );
      expect(config.cluster).toMatchObject({
        endpoints: ['http://10.0.0.5:2379', 'http://10.0.0.6:2379'],
        leaseTtlMs: 10_000,
        nodeAddress: 'http://10.0.0.1:8080',
        prefix: '/logic-ha',
        failsafe: false,
      });
      expect(config.cluster?.nodeId).toMatch(/-8080$/);
    });

    it.each([
      [{ ETCD_ENDPOINTS: 'etcd:2379' }, /ETCD_ENDPOINTS: every entry must be http\(s\):\/\/host:port; not: etcd:2379/],
      [{ ETCD_ENDPOINTS: 'http://e:2379', ADMIN_TOKEN: '' }, /ADMIN_TOKEN: is required in cluster mode/],
      [
        { ETCD_ENDPOINTS: 'http://e:2379', DB_TYPE: 'sqlite', DB_PRIMARY_URL: '' },
        /ETCD_ENDPOINTS: needs DB_TYPE=mysql/,
      ],
      [{ ETCD_ENDPOINTS: '', CLUSTER_FAILSAFE: 'true' }, /CLUSTER_FAILSAFE: needs ETCD_ENDPOINTS/],
      [
        { ETCD_ENDPOINTS: 'http://e:2379', FAILOVER_FORCE_SINGLE_NODE: 'true' },
        /FAILOVER_FORCE_SINGLE_NODE: applies only in single-node mode/,
      ],
      [
        { ETCD_ENDPOINTS: 'http://e:2379', CLUSTER_LEASE_TTL_MS: '500' },
        /CLUSTER_LEASE_TTL_MS: must not be less than 2000/,
      ],
      [{ ETCD_ENDPOINTS: 'http://e:2379', CLUSTER_PREFIX: 'logic-ha/' }, /CLUSTER_PREFIX: must start with/],
      [{ ETCD_ENDPOINTS: 'http://e:2379', CLUSTER_NODE_ID: 'a b' }, /CLUSTER_NODE_ID: must be 1 to 128/],
    ])('refuses %j', (extra, message) => {
      expect(problemsOf({ ...MYSQL, ...extra })).toMatch(message);
    });
  });

  it('treats an empty value as unset', () => {
    expect(loadAppConfig({ PORT: '', DB_TYPE: ' ' }, CWD).http.port).toBe(3000);
  });

  it('builds a MariaDB topology from URLs, decoding credentials', () => {
    const config = loadAppConfig(
      {
        DB_TYPE: 'mysql',
        DB_PRIMARY_URL: 'mysql://app:p%40ss@db1.internal:3307/logic',
        DB_STANDBY_URLS: 'mysql://app:x@db2:3306/logic, mariadb://app:y@db3/logic',
        DB_ADMIN_USER: 'monitor',
      },
      CWD,
    );
    expect(config.database).toEqual({
      type: 'mysql',
      primary: { host: 'db1.internal', port: 3307, user: 'app', password: 'p@ss', database: 'logic' },
      standbys: [
        { host: 'db2', port: 3306, user: 'app', password: 'x', database: 'logic' },
        { host: 'db3', port: 3306, user: 'app', password: 'y', database: 'logic' },
      ],
      connectTimeoutMs: 5000,
      poolSize: 10,
    });
  });

  it('puts backups under DATA_DIR unless BACKUP_DIR says otherwise, on the cron time zone unless BACKUP_TIMEZONE is set', () => {
    const defaults = loadAppConfig({ DATA_DIR: 'state', CRON_TIMEZONE: 'Europe/Berlin' }, CWD).backup;
    expect(defaults).toMatchObject({
      directory: join(CWD, 'state', 'backups'),
      timeZone: 'Europe/Berlin',
      fullSchedule: '0 2 * * *',
    });
    const chosen = loadAppConfig(
      { BACKUP_DIR: '/mnt/nfs/backups', BACKUP_TIMEZONE: 'UTC', BACKUP_INCREMENTAL_CRON: 'off' },
      CWD,
    ).backup;
    expect(chosen).toMatchObject({ directory: '/mnt/nfs/backups', timeZone: 'UTC', incrementalSchedule: 'off' });
  });

  it('schedules test restores weekly into a private database unless BACKUP_TEST_RESTORE_* say otherwise', () => {
    expect(loadAppConfig({}, CWD).backup).toMatchObject({
      testRestoreSchedule: '30 4 * * 0',
      testRestoreTarget: null,
    });
    const chosen = loadAppConfig(
      {
        BACKUP_TEST_RESTORE_CRON: 'off',
        BACKUP_TEST_RESTORE_URL: 'mysql://checker:s3cret@scratch.internal:3307/restore_check',
      },
      CWD,
    ).backup;
    expect(chosen.testRestoreSchedule).toBe('off');
    expect(chosen.testRestoreTarget).toEqual({
      host: 'scratch.internal',
      port: 3307,
      user: 'checker',
      password: 's3cret',
      database: 'restore_check',
    });
  });

  it('resolves SQLITE_PATH and DATA_DIR against the working directory', () => {
    const config = loadAppConfig({ DATA_DIR: 'state', SQLITE_PATH: '/var/lib/x.sqlite' }, CWD);
    expect(config.dataDir).toBe(join(CWD, 'state'));
    expect(config.database).toEqual({ type: 'sqlite', sqlitePath: '/var/lib/x.sqlite' });
  });

  it.each([
    ['DB_TYPE', 'postgres', /DB_TYPE: must be one of the following values: sqlite, mysql \(got "postgres"\)/],
    ['DB_PRIMARY_URL', 'postgres://u:p@h/db', /DB_PRIMARY_URL: must start with mysql:\/\/ or mariadb:\/\//],
    ['DB_PRIMARY_URL', 'mysql://u:p@h', /DB_PRIMARY_URL: .*must name exactly one database/],
    ['DB_PRIMARY_URL', 'mysql://h/db', /DB_PRIMARY_URL: .*has no user/],
    ['DB_PRIMARY_URL', 'not a url', /DB_PRIMARY_URL: .*is not a URL/],
    ['DB_STANDBY_URLS', 'mysql://u:p@h/db,http://x', /DB_STANDBY_URLS: .*entry 2 must start with mysql:\/\//],
    ['DB_CONNECT_TIMEOUT_MS', '10', /DB_CONNECT_TIMEOUT_MS: .*must not be less than 100 \(got "10"\)/],
    ['DB_POOL_SIZE', 'many', /DB_POOL_SIZE: must be an integer number.*\(got "many"\)/],
    ['DB_ADMIN_USER', 'x'.repeat(81), /DB_ADMIN_USER: .*shorter than or equal to 80/],
    ['DB_REPLICATION_USER', 'x'.repeat(81), /DB_REPLICATION_USER: .*shorter than or equal to 80/],
    ['HOST', 'bad host!', /HOST: must be an IP address or host name \(got "bad host!"\)/],
    ['PORT', '70000', /PORT: must not be greater than 65535 \(got "70000"\)/],
    ['PORT', '3.5', /PORT: must be an integer number/],
    ['ADMIN_TOKEN', 'short', /ADMIN_TOKEN: must be longer than or equal to 16 characters$/m],
    ['RUNTIME_TOKEN', 'short', /RUNTIME_TOKEN: must be longer than or equal to 16 characters$/m],
    ['METRICS_TOKEN', 'short', /METRICS_TOKEN: must be longer than or equal to 16 characters$/m],
    ['RUNTIME_AUTH', 'maybe', /RUNTIME_AUTH: .*auto, token, none \(got "maybe"\)/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL: .*fatal, error, warn, info, debug, trace, silent \(got "loud"\)/],
    ['LOG_REQUESTS', 'some', /LOG_REQUESTS: .*all, errors, off \(got "some"\)/],
    ['BODY_LIMIT_BYTES', '10', /BODY_LIMIT_BYTES: .*must not be less than 1024/],
    ['SHUTDOWN_TIMEOUT_MS', '-1', /SHUTDOWN_TIMEOUT_MS: .*must not be less than 0/],
    ['HEALTH_CHECK_TIMEOUT_MS', '1', /HEALTH_CHECK_TIMEOUT_MS: .*must not be less than 50/],
    ['HEALTH_DISK_MIN_FREE_BYTES', '-5', /HEALTH_DISK_MIN_FREE_BYTES: .*must not be less than 0/],
    ['HEALTH_HEAP_MAX_BYTES', '1000', /HEALTH_HEAP_MAX_BYTES: .*must not be less than 16777216/],
    ['CRON_TIMEZONE', 'Mars/Olympus', /CRON_TIMEZONE: must be an IANA time zone/],
    ['INSTANCE_LONG_RUNNING_CRON', 'every minute', /INSTANCE_LONG_RUNNING_CRON: must be a cron expression/],
    ['INSTANCE_LONG_RUNNING_TIMEOUT_S', '0', /INSTANCE_LONG_RUNNING_TIMEOUT_S: must not be less than 1/],
    ['INSTANCE_RETRY_CRON', '61 * * * *', /INSTANCE_RETRY_CRON: must be a cron expression/],
    ['INSTANCE_RETRY_MAX_TIMES', '-1', /INSTANCE_RETRY_MAX_TIMES: must not be less than 0/],
    ['INSTANCE_RETRY_EXCLUDE_LOGIC_IDS', 'a,,b', /INSTANCE_RETRY_EXCLUDE_LOGIC_IDS: must list at most 100/],
    ['INSTANCE_RETRY_EXCLUDE_LOGIC_IDS', Array.from({ length: 101 }, (_, i) => `l${i}`).join(','), /at most 100/],
    ['INSTANCE_RETRY_LOOKBACK_S', '10', /INSTANCE_RETRY_LOOKBACK_S: must not be less than 60/],
    ['INSTANCE_RETRY_COOLDOWN_S', '0', /INSTANCE_RETRY_COOLDOWN_S: must not be less than 1/],
    ['INSTANCE_CLEANUP_CRON', 'sometimes', /INSTANCE_CLEANUP_CRON: must be a cron expression/],
    ['INSTANCE_RETENTION_DAYS', '0', /INSTANCE_RETENTION_DAYS: must not be less than 1/],
    ['BACKUP_STORAGE', 'ftp', /BACKUP_STORAGE: must be one of the following values: local, s3 \(got "ftp"\)/],
    ['BACKUP_FULL_CRON', 'daily', /BACKUP_FULL_CRON: must be a cron expression/],
    ['BACKUP_INCREMENTAL_CRON', '* * *', /BACKUP_INCREMENTAL_CRON: must be a cron expression/],
    ['BACKUP_TIMEZONE', 'Nowhere/City', /BACKUP_TIMEZONE: must be an IANA time zone/],
    ['BACKUP_TEST_RESTORE_CRON', 'weekly', /BACKUP_TEST_RESTORE_CRON: must be a cron expression/],
    ['BACKUP_TEST_RESTORE_URL', 'http://x/y', /BACKUP_TEST_RESTORE_URL: must start with mysql:\/\//],
    ['BACKUP_RETAIN_FULL', '0', /BACKUP_RETAIN_FULL: must not be less than 1/],
    ['BACKUP_TIMEOUT_S', '5', /BACKUP_TIMEOUT_S: must not be less than 10/],
    ['BACKUP_COMPRESSION_LEVEL', '10', /BACKUP_COMPRESSION_LEVEL: must not be greater than 9/],
    ['HEARTBEAT_INTERVAL_MS', '50', /HEARTBEAT_INTERVAL_MS: must not be less than 100/],
    ['HEARTBEAT_TIMEOUT_MS', 'soon', /HEARTBEAT_TIMEOUT_MS: must be an integer number/],
    ['FAILURE_THRESHOLD', '0', /FAILURE_THRESHOLD: must not be less than 1/],
    ['FAILOVER_COOLDOWN_MS', '-1', /FAILOVER_COOLDOWN_MS: must not be less than 0/],
    ['FAILOVER_APPLY_TIMEOUT_MS', '10', /FAILOVER_APPLY_TIMEOUT_MS: must not be less than 100/],
    ['FAILOVER_LOSS_WAIT_MS', '-1', /FAILOVER_LOSS_WAIT_MS: must not be less than 0/],
    ['FAILOVER_ALLOW_LOSS', 'yes', /FAILOVER_ALLOW_LOSS: must be one of the following values: true, false/],
    [
      'FAILOVER_CONFIGURE_REPLICAS',
      'on',
      /FAILOVER_CONFIGURE_REPLICAS: must be one of the following values: true, false/,
    ],
    ['FAILOVER_FAST_CONFIRM_MS', '300', /FAILOVER_FAST_CONFIRM_MS: must be 0 \(off\) or at least 500/],
    ['FAILOVER_FAST_CONFIRM_MS', '3000', /FAILOVER_FAST_CONFIRM_MS: must be shorter than the detection window/],
    ['FAILOVER_FAST_CONFIRM_MS', '20000', /FAILOVER_FAST_CONFIRM_MS: must not be greater than 10000/],
    ['MIGRATION_LOCK_TIMEOUT_MS', '-1', /MIGRATION_LOCK_TIMEOUT_MS: must not be less than 0/],
    ['MIGRATION_LOCK_TIMEOUT_MS', 'forever', /MIGRATION_LOCK_TIMEOUT_MS: must be an integer number/],
    [
      'DB_BASELINE_ON_START',
      'yes',
      /DB_BASELINE_ON_START: must be one of the following values: true, false \(got "yes"\)/,
    ],
    ['DATA_DIR', ' ', null],
  ])('reports a bad %s (%j)', (variable, value, expected) => {
    if (expected === null) {
      // Blank means unset, which is valid.
      expect(() => loadAppConfig({ [variable]: value }, CWD)).not.toThrow();
      return;
    }
    expect(problemsOf({ [variable]: value })).toMatch(expected);
  });

  // The Authorization header parser stops at the first space: such a token could never authenticate.
  it.each([
    ['ADMIN_TOKEN', 'correct horse battery staple'],
    ['ADMIN_TOKEN', `${'a'.repeat(20)}\tb`],
    ['RUNTIME_TOKEN', ` ${'r'.repeat(20)}`],
    ['RUNTIME_TOKEN', `${'r'.repeat(20)}\n`],
    ['CONFIG_HOST_TOKEN', 'upstream token'],
    ['METRICS_TOKEN', `scrape ${'m'.repeat(20)}`],
    ['ADMIN_TOKEN', `${'a'.repeat(20)}\u00e9`],
  ])('refuses %s with whitespace or a character a header cannot carry (%j), without echoing it', (variable, value) => {
    const message = problemsOf({ [variable]: value });
    expect(message).toMatch(new RegExp(`${variable}: must be one word of printable ASCII: no spaces`));
    expect(message).not.toContain(value.trim());
  });

  it('accepts tokens of printable ASCII', () => {
    const token = 'Az09-._~+/=!#$%&*^|'.padEnd(24, 'x');
    const config = loadAppConfig({ ADMIN_TOKEN: token, RUNTIME_TOKEN: `${token}r`, CONFIG_HOST_TOKEN: token }, CWD);
    expect(config.auth).toMatchObject({ adminToken: token, runtimeToken: `${token}r` });
  });

  it('reads METRICS_TOKEN (unset: GET /metrics is for loopback clients only) and keeps it out of the summary', () => {
    const token = 'm'.repeat(24);
    expect(loadAppConfig({}, CWD).auth.metricsToken).toBeUndefined();
    const config = loadAppConfig({ METRICS_TOKEN: token }, CWD);
    expect(config.auth.metricsToken).toBe(token);
    expect(describeConfig(config)).toMatchObject({ metricsAccess: 'METRICS_TOKEN' });
    expect(JSON.stringify(describeConfig(config))).not.toContain(token);
  });

  it('lists every bad variable in one message', () => {
    const message = problemsOf({ PORT: 'x', LOG_LEVEL: 'loud', DB_TYPE: 'oracle' });
    expect(message).toMatch(/^Invalid configuration \(3 problems\):/);
    expect(message).toMatch(/PORT:/);
    expect(message).toMatch(/LOG_LEVEL:/);
    expect(message).toMatch(/DB_TYPE:/);
  });

  it.each([
    [{ DB_TYPE: 'mysql' }, /DB_PRIMARY_URL: is required when DB_TYPE=mysql/],
    [{ DB_STANDBY_URLS: 'mysql://u:p@h/db' }, /DB_STANDBY_URLS: needs DB_TYPE=mysql/],
    [{ RUNTIME_AUTH: 'token' }, /RUNTIME_TOKEN: is required when RUNTIME_AUTH=token/],
    [{ HOST: '0.0.0.0' }, /RUNTIME_TOKEN: is required when HOST \(0\.0\.0\.0\) is not a loopback address/],
    [{ DB_ADMIN_PASSWORD: 'secret' }, /DB_ADMIN_USER: is required when DB_ADMIN_PASSWORD is set/],
    [
      { DB_TYPE: 'mysql', DB_PRIMARY_URL: 'mysql://u:p@h/db', DB_STANDBY_URLS: 'mysql://u:p@h2/db' },
      /DB_ADMIN_USER: is required when DB_STANDBY_URLS is set/,
    ],
    [{ DB_REPLICATION_PASSWORD: 'secret' }, /DB_REPLICATION_USER: is required when DB_REPLICATION_PASSWORD is set/],
  ])('refuses the inconsistent combination %j', (env, expected) => {
    expect(problemsOf(env as Record<string, string>)).toMatch(expected);
  });

  it.each([
    [{ HOST: '0.0.0.0', RUNTIME_AUTH: 'none' }, 'none'],
    [{ HOST: '0.0.0.0', RUNTIME_TOKEN: 'r'.repeat(20) }, 'token'],
    [{ HOST: '::1' }, 'loopback-open'],
    [{ HOST: 'localhost' }, 'loopback-open'],
    [{ HOST: '127.0.0.2' }, 'loopback-open'],
  ])('derives runtime access from %j', (env, access) => {
    expect(loadAppConfig(env as Record<string, string>, CWD).auth.runtimeAccess).toBe(access);
  });

  it('never echoes a secret in the message', () => {
    const message = problemsOf({
      ADMIN_TOKEN: 'tiny-secret',
      DB_PRIMARY_URL: 'postgres://u:hunter2-password@h/db',
      DB_TYPE: 'mysql',
    });
    expect(message).not.toContain('tiny-secret');
    expect(message).not.toContain('hunter2');
  });
});

describe('loadAppConfig: backup encryption', () => {
  const keyA = Buffer.alloc(32, 1).toString('base64');
  const keyB = Buffer.alloc(32, 2).toString('base64');

  it('is off by default, with no keys', () => {
    expect(loadAppConfig({}, CWD).backup.encryption).toEqual({ cipher: 'none', keys: [], keysSource: null });
  });

  it('reads id:base64key pairs from BACKUP_ENCRYPTION_KEYS, in order (the first encrypts)', () => {
    const { encryption } = loadAppConfig(
      { BACKUP_ENCRYPTION: 'aes-256-gcm', BACKUP_ENCRYPTION_KEYS: `new-2026:${keyB}, old_1:${keyA}` },
      CWD,
    ).backup;
    expect(encryption.cipher).toBe('aes-256-gcm');
    expect(encryption.keys.map((k) => k.id)).toEqual(['new-2026', 'old_1']);
    expect(encryption.keys[1].material()).toEqual(Buffer.alloc(32, 1));
  });

  it('reads BACKUP_ENCRYPTION_KEYS_FILE, one key a line, comments and blank lines allowed', () => {
    const files: string[] = [];
    const { encryption } = loadAppConfig(
      { BACKUP_ENCRYPTION: 'aes-256-gcm', BACKUP_ENCRYPTION_KEYS_FILE: 'keys.txt' },
      CWD,
      (path) => (files.push(path), `# rotated 2026-11\nk2:${keyB}\n\nk1:${keyA}  # the old one\n`),
    ).backup;
    expect(files).toEqual([join(CWD, 'keys.txt')]);
    expect(encryption).toMatchObject({ keysSource: 'BACKUP_ENCRYPTION_KEYS_FILE' });
    expect(encryption.keys.map((k) => k.id)).toEqual(['k2', 'k1']);
  });

  it('refuses aes-256-gcm without a key, naming the variable', () => {
    expect(problemsOf({ BACKUP_ENCRYPTION: 'aes-256-gcm' })).toContain(
      'BACKUP_ENCRYPTION_KEYS: is required when BACKUP_ENCRYPTION=aes-256-gcm',
    );
  });

  it('refuses an unknown cipher', () => {
    expect(problemsOf({ BACKUP_ENCRYPTION: 'aes-128-cbc' })).toContain('BACKUP_ENCRYPTION: ');
  });

  it.each([
    [`k1:${keyA},k1:${keyB}`, 'entry 2: key id k1 appears twice'],
    [`k1:${Buffer.alloc(16).toString('base64')}`, 'entry 1 (key k1): the key must be exactly 32 bytes'],
    ['k1:not base64!', 'entry 1 (key k1): the key is not base64'],
    [`bad id:${keyA}`, 'entry 1: the key id must be 1 to 64 of'],
    [`${'x'.repeat(65)}:${keyA}`, 'entry 1: the key id must be 1 to 64 of'],
    [keyA, 'entry 1 is not id:base64key'],
    [`k1:${keyA},,k2:${keyB}`, 'entry 2 is empty'],
  ])('refuses bad BACKUP_ENCRYPTION_KEYS (case %#) and never echoes a key', (value, reason) => {
    const message = problemsOf({ BACKUP_ENCRYPTION: 'aes-256-gcm', BACKUP_ENCRYPTION_KEYS: value });
    expect(message).toContain(`BACKUP_ENCRYPTION_KEYS: ${reason}`);
    expect(message).not.toContain(keyA);
    expect(message).not.toContain(keyB);
  });

  it('refuses both sources at once, and an unreadable or empty file', () => {
    expect(problemsOf({ BACKUP_ENCRYPTION_KEYS: `k1:${keyA}`, BACKUP_ENCRYPTION_KEYS_FILE: '/k' })).toContain(
      'BACKUP_ENCRYPTION_KEYS_FILE: cannot be set together with BACKUP_ENCRYPTION_KEYS',
    );
    expect(problemsOf({ BACKUP_ENCRYPTION_KEYS_FILE: '/nonexistent/keys' })).toContain(
      'BACKUP_ENCRYPTION_KEYS_FILE: cannot read /nonexistent/keys: ENOENT',
    );
    expect(() => loadAppConfig({ BACKUP_ENCRYPTION_KEYS_FILE: '/k' }, CWD, () => '# nothing\n')).toThrow(
      'BACKUP_ENCRYPTION_KEYS_FILE: holds no key',
    );
  });

  it('keeps keys for reading when encryption is off (a node that only restores)', () => {
    const { encryption } = loadAppConfig({ BACKUP_ENCRYPTION_KEYS: `k1:${keyA}` }, CWD).backup;
    expect(encryption).toMatchObject({ cipher: 'none', keysSource: 'BACKUP_ENCRYPTION_KEYS' });
    expect(encryption.keys).toHaveLength(1);
  });
});
