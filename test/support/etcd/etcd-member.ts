import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';

const STOP_TIMEOUT_MS = 10_000;
const LISTEN_TIMEOUT_MS = 15_000;

/** Ports the machine's own etcd may hold; a private member never takes them. */
export const SYSTEM_ETCD_PORTS: readonly number[] = [2379, 2380];

export function findEtcdBinary(): string {
  for (const candidate of ['/usr/bin/etcd', '/usr/local/bin/etcd']) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error('etcd was not found: install the Debian package "etcd-server" (apt-get install -y etcd-server)');
}

/** What every member of one private cluster shares. */
export interface EtcdMemberSpec {
  name: string;
  clientPort: number;
  peerPort: number;
  /** Holds `<name>.data/` and `<name>.log`. */
  baseDir: string;
  /** `name=http://127.0.0.1:peerPort,...` over every member. */
  initialCluster: string;
  token: string;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  extraArgs: string[];
}

/**
 * One etcd process of a private cluster. kill(), stop() and pause() model a crash, a clean
 * shutdown and a stall; start() brings the same member back on its data dir and ports.
 */
export class EtcdMember {
  private process: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly spec: EtcdMemberSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get clientPort(): number {
    return this.spec.clientPort;
  }

  get peerPort(): number {
    return this.spec.peerPort;
  }

  get clientUrl(): string {
    return `http://127.0.0.1:${this.spec.clientPort}`;
  }

  get peerUrl(): string {
    return `http://127.0.0.1:${this.spec.peerPort}`;
  }

  get dataDir(): string {
    return join(this.spec.baseDir, `${this.spec.name}.data`);
  }

  get logFile(): string {
    return join(this.spec.baseDir, `${this.spec.name}.log`);
  }

  get pid(): number | undefined {
    return this.running ? this.process?.pid : undefined;
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /**
   * Spawns the member (again, on the same data dir: the --initial-* flags only matter on the
   * first start) and waits until its client port accepts connections. Quorum is the
   * cluster's business: EtcdCluster.waitHealthy().
   */
  async start(): Promise<void> {
    if (this.running) throw new Error(`etcd member ${this.name} is already running`);
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    // Appending: a restarted member's log follows its previous life's.
    const log = openSync(this.logFile, 'a');
    try {
      const child = spawn(findEtcdBinary(), this.arguments(), { stdio: ['ignore', log, log], env: etcdFreeEnv() });
      this.process = child;
      this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    } finally {
      closeSync(log);
    }
    await this.waitUntilListening();
  }

  /** A crash: SIGKILL, nothing flushed. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.process?.kill('SIGCONT');
    this.process?.kill('SIGKILL');
    await this.exited;
  }

  /** A clean shutdown: SIGTERM, SIGKILL after STOP_TIMEOUT_MS. */
  async stop(): Promise<void> {
    if (!this.running) return;
    // A paused process cannot act on SIGTERM.
    this.process?.kill('SIGCONT');
    this.process?.kill('SIGTERM');
    const timer = setTimeout(() => this.process?.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGSTOP: the process hangs with its sockets open, as a stalled or swapped-out host does. */
  pause(): void {
    if (this.running) this.process?.kill('SIGSTOP');
  }

  resume(): void {
    if (this.running) this.process?.kill('SIGCONT');
  }

  /** Synchronous last resort for the process 'exit' hook. */
  killNow(): void {
    if (!this.running) return;
    this.process?.kill('SIGCONT');
    this.process?.kill('SIGKILL');
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private arguments(): string[] {
    const spec = this.spec;
    return [
      `--name=${spec.name}`,
      `--data-dir=${this.dataDir}`,
      `--listen-client-urls=${this.clientUrl}`,
      `--advertise-client-urls=${this.clientUrl}`,
      `--listen-peer-urls=${this.peerUrl}`,
      `--initial-advertise-peer-urls=${this.peerUrl}`,
      `--initial-cluster=${spec.initialCluster}`,
      '--initial-cluster-state=new',
      `--initial-cluster-token=${spec.token}`,
      // Fast elections by default (50/300): a test waits for a new raft leader in under a second.
      `--heartbeat-interval=${spec.heartbeatIntervalMs}`,
      `--election-timeout=${spec.electionTimeoutMs}`,
      // zap: structured, and no capnslog deprecation warning on every start.
      '--logger=zap',
      '--log-outputs=stderr',
      ...spec.extraArgs,
    ];
  }

  private async waitUntilListening(): Promise<void> {
    const deadline = Date.now() + LISTEN_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`etcd member ${this.name} exited during start-up:\n${this.logTail()}`);
      // A TCP accept, not an HTTP answer: etcd 3.4 serves nothing on its client port (not
      // even /version) until it has published itself through raft, which needs quorum, and a
      // test restarts lone members of a stopped cluster.
      if (await accepts(this.spec.clientPort)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await this.kill();
    throw new Error(
      `etcd member ${this.name} did not listen on ${this.clientUrl} within ${LISTEN_TIMEOUT_MS} ms:\n${this.logTail()}`,
    );
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * The environment without ETCD_*: etcd reads ETCD_<FLAG> variables as flags, so a test
 * process's ETCD_ENDPOINTS (logic-ha's own variable) or a stray ETCD_DATA_DIR must not leak in.
 */
function etcdFreeEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ETCD_')));
}
