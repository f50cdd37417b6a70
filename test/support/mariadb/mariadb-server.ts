import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Connection, createConnection } from 'mysql2/promise';
import type { MysqlEndpoint } from '../../../src/config/mysql-url';
import { SYSTEM_MARIADB_PORT, freeLoopbackPort } from './free-port';
import { findMariaDbBinary } from './mariadb-binaries';

const run = promisify(execFile);
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export interface MariaDbServerOptions {
  serverId: number;
  /** Start with read_only=ON, as a replica should. */
  readOnly?: boolean;
  /** Extra mariadbd options, e.g. `--master-heartbeat-period` tweaks in failover tests. */
  extraArgs?: string[];
}

/** Every server this process started, so a crashed test run does not leave mariadbd behind. */
const live = new Set<MariaDbServer>();
process.once('exit', () => {
  for (const server of live) server.killNow();
});

/**
 * A private, throw-away MariaDB server: `--no-defaults`, its own temp datadir and socket,
 * a free 127.0.0.1 port (never 3306), binlog + GTID on, durability traded for speed.
 */
export class MariaDbServer {
  private exited!: Promise<number | null>;
  private stopped = false;
  private process!: ChildProcess;

  private constructor(
    readonly serverId: number,
    readonly port: number,
    readonly baseDir: string,
    process: ChildProcess,
    private readonly options: MariaDbServerOptions,
  ) {
    this.attach(process);
    live.add(this);
  }

  private attach(process: ChildProcess): void {
    this.process = process;
    this.exited = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
  }

  readonly host = '127.0.0.1';

  get dataDir(): string {
    return join(this.baseDir, 'data');
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  static async start(options: MariaDbServerOptions): Promise<MariaDbServer> {
    const mariadbd = findMariaDbBinary('mariadbd');
    const installDb = findMariaDbBinary('mariadb-install-db');
    const baseDir = mkdtempSync(join(tmpdir(), 'logic-ha-mariadb-'));
    // A private tmpdir too: servers bootstrapping in parallel must not share temporary tables in /tmp.
    mkdirSync(join(baseDir, 'tmp'));
    try {
      await run(installDb, [
        '--no-defaults',
        `--datadir=${join(baseDir, 'data')}`,
        `--tmpdir=${join(baseDir, 'tmp')}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        '--innodb-log-file-size=16M',
      ]);
      const port = await freeLoopbackPort();
      if (port === SYSTEM_MARIADB_PORT) throw new Error('refusing to start a sandbox on the system MariaDB port');
      const child = spawn(mariadbd, serverArguments(baseDir, port, options), { stdio: 'ignore' });
      const server = new MariaDbServer(options.serverId, port, baseDir, child, options);
      await server.waitUntilReady();
      return server;
    } catch (error) {
      rmSync(baseDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** A root connection over TCP; the caller closes it. */
  connectAsRoot(database?: string): Promise<Connection> {
    return createConnection({ host: this.host, port: this.port, user: 'root', database, multipleStatements: true });
  }

  /** Runs SQL as root on a short-lived connection. */
  async query<T = unknown>(sql: string, params: unknown[] = []): Promise<T> {
    const connection = await this.connectAsRoot();
    try {
      const [rows] = await connection.query(sql, params);
      return rows as T;
    } finally {
      await connection.end();
    }
  }

  /**
   * A database and an application account on it, with every privilege on that database
   * and none globally (no SUPER, no READ ONLY ADMIN), as the app must run.
   */
  async createDatabaseWithUser(database: string, user: string, password: string): Promise<MysqlEndpoint> {
    await this.query(
      `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4;
       CREATE USER IF NOT EXISTS '${user}'@'127.0.0.1' IDENTIFIED BY '${password}';
       GRANT ALL PRIVILEGES ON \`${database}\`.* TO '${user}'@'127.0.0.1';`,
    );
    return { host: this.host, port: this.port, user, password, database };
  }

  /** Graceful shutdown, then the datadir is removed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGCONT');
      this.process.kill('SIGTERM');
      const timer = setTimeout(() => this.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    live.delete(this);
    rmSync(this.baseDir, { recursive: true, force: true });
  }

  /** A crash: SIGKILL, no shutdown. The datadir stays until stop(). */
  async kill(): Promise<void> {
    this.process.kill('SIGKILL');
    await this.exited;
  }

  /** Starts the server again on its datadir and port after kill() (crash recovery, as after a power loss). */
  async restart(extraArgs: string[] = []): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null)
      throw new Error('restart() needs a stopped server: kill() it first');
    const options = { ...this.options, extraArgs: [...(this.options.extraArgs ?? []), ...extraArgs] };
    this.attach(
      spawn(findMariaDbBinary('mariadbd'), serverArguments(this.baseDir, this.port, options), { stdio: 'ignore' }),
    );
    await this.waitUntilReady();
  }

  /** SIGSTOP: the process hangs with its sockets open, as a stalled server does. */
  pause(): void {
    this.process.kill('SIGSTOP');
  }

  resume(): void {
    this.process.kill('SIGCONT');
  }

  /** Synchronous last resort for the process 'exit' hook. */
  killNow(): void {
    this.process.kill('SIGCONT');
    this.process.kill('SIGKILL');
    rmSync(this.baseDir, { recursive: true, force: true });
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null || this.process.signalCode !== null) {
        throw new Error(`mariadbd exited during start-up:\n${this.errorLogTail()}`);
      }
      try {
        await this.query('SELECT 1');
        return;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    this.process.kill('SIGKILL');
    throw new Error(
      `mariadbd did not accept connections within ${STARTUP_TIMEOUT_MS} ms (${String(lastError)}):\n${this.errorLogTail()}`,
    );
  }

  errorLogTail(lines = 30): string {
    try {
      return readFileSync(join(this.baseDir, 'error.log'), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no error log)';
    }
  }
}

function serverArguments(baseDir: string, port: number, options: MariaDbServerOptions): string[] {
  const dataDir = join(baseDir, 'data');
  return [
    '--no-defaults',
    '--user=root',
    `--datadir=${dataDir}`,
    `--tmpdir=${join(baseDir, 'tmp')}`,
    `--socket=${join(baseDir, 'mysqld.sock')}`,
    `--pid-file=${join(baseDir, 'mysqld.pid')}`,
    `--log-error=${join(baseDir, 'error.log')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--skip-name-resolve',
    `--server-id=${options.serverId}`,
    // Binary log with GTIDs, as a production primary or replica runs.
    `--log-basename=server${options.serverId}`,
    `--log-bin=${join(dataDir, 'binlog')}`,
    `--relay-log=${join(dataDir, 'relay-bin')}`,
    '--binlog-format=ROW',
    '--log-slave-updates=ON',
    '--gtid-strict-mode=ON',
    ...(options.readOnly ? ['--read-only=ON'] : []),
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
    // Speed over durability: these servers live for one test file.
    '--innodb-buffer-pool-size=64M',
    '--innodb-log-file-size=16M',
    '--innodb-flush-log-at-trx-commit=2',
    '--innodb-doublewrite=0',
    '--sync-binlog=0',
    '--performance-schema=OFF',
    '--max-connections=300',
    ...(options.extraArgs ?? []),
  ];
}
