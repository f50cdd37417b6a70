import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppProcess, BUILT_CLI, spawnApp } from './app-process';
import { EtcdCluster, type EtcdProxies, etcdBehindProxies } from './etcd';
import { type FailoverCluster, startFailoverCluster } from './mariadb/failover-cluster';
import { freeLoopbackPort } from './mariadb/free-port';

export const CLUSTER_TOKEN = 'cluster-admin-token-0123456789abcdef';

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** One logic-ha process of the cluster, restartable on the same port and data directory. */
export class ClusterNode {
  process!: AppProcess;
  url = '';
  /** Its own road to etcd, which the test can cut (when asked for at start). */
  proxies?: EtcdProxies;

  constructor(
    readonly id: string,
    readonly port: number,
    readonly dataDir: string,
    private readonly env: () => Record<string, string>,
  ) {}

  async start(): Promise<void> {
    this.process = spawnApp(this.dataDir, this.environment());
    this.url = await this.process.listening(60_000);
  }

  /** The CLI as an operator runs it on this node's host: same environment. Exit code and parsed stdout. */
  async cli(args: string[]): Promise<{ code: number | null; out: any; stderr: string }> {
    const run = spawnApp(this.dataDir, this.environment(), args, BUILT_CLI);
    const { code } = await run.exited;
    const text = run.stdout().trim();
    return { code, out: text ? JSON.parse(text) : undefined, stderr: run.stderr() };
  }

  private environment(): Record<string, string> {
    return {
      ...this.env(),
      ...(this.proxies ? { ETCD_ENDPOINTS: this.proxies.endpointsEnv } : {}),
      PORT: String(this.port),
      HOST: '127.0.0.1',
      DATA_DIR: this.dataDir,
      CLUSTER_NODE_ID: this.id,
    };
  }

  kill(): Promise<unknown> {
    this.process.child.kill('SIGKILL');
    return this.process.exited;
  }

  pause(): void {
    this.process.child.kill('SIGSTOP');
  }

  resume(): void {
    this.process.child.kill('SIGCONT');
  }

  get alive(): boolean {
    return this.process.child.exitCode === null && this.process.child.signalCode === null;
  }

  async api<T = any>(method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<Answer<T>> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${CLUSTER_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  }

  /** One instance start through the runtime API: a write to the database. */
  write(logicId: string, bizId: string): Promise<Answer> {
    return this.api('POST', '/api/v1/instances/start', { logicId, bizId });
  }

  cluster(): Promise<Answer> {
    return this.api('GET', '/api/v1/cluster');
  }

  failoverStatus(): Promise<Answer> {
    return this.api('GET', '/api/v1/failover/status');
  }
}

export interface ClusterWorldOptions {
  nodes?: number;
  serverIdBase: number;
  leaseTtlMs?: number;
  /** Nodes (by index) that reach etcd through proxies the test can cut. */
  proxied?: number[];
  env?: Record<string, string>;
}

/**
 * Real processes throughout: a private 3-member etcd, a MariaDB primary + standby
 * (semi-sync), and `nodes` logic-ha nodes in cluster mode, each with its own data directory.
 */
export class ClusterWorld {
  private constructor(
    readonly etcd: EtcdCluster,
    readonly db: FailoverCluster,
    readonly nodes: ClusterNode[],
    readonly leaseTtlMs: number,
    private readonly env: () => Record<string, string>,
  ) {}

  static async start(options: ClusterWorldOptions): Promise<ClusterWorld> {
    const leaseTtlMs = options.leaseTtlMs ?? 3000;
    const [etcd, db] = await Promise.all([
      EtcdCluster.start({ members: 3 }),
      startFailoverCluster({ replicas: 1, serverIdBase: options.serverIdBase }),
    ]);
    const env = () => ({
      ...db.env(),
      ADMIN_TOKEN: CLUSTER_TOKEN,
      ETCD_ENDPOINTS: etcd.endpointsEnv,
      CLUSTER_LEASE_TTL_MS: String(leaseTtlMs),
      HEARTBEAT_INTERVAL_MS: '500',
      LOG_LEVEL: 'info',
      ...options.env,
    });
    const world = new ClusterWorld(etcd, db, [], leaseTtlMs, env);
    for (let index = 0; index < (options.nodes ?? 3); index++) {
      const node = await world.addNode();
      if (options.proxied?.includes(index)) node.proxies = await etcdBehindProxies(etcd);
    }
    const nodes = world.nodes;
    try {
      // One after the other: the first node takes the lead, so a test knows which node leads.
      for (const node of nodes) {
        await node.start();
        if (node === nodes[0]) await world.agreedLeader(15_000, [node]);
      }
    } catch (error) {
      await world.stop();
      throw error;
    }
    return world;
  }

  /** A new node (the next letter, its own empty data directory), not started yet. */
  async addNode(): Promise<ClusterNode> {
    const index = this.nodes.length;
    const dataDir = mkdtempSync(join(tmpdir(), `logic-ha-node-${index}-`));
    const node = new ClusterNode(
      `node-${String.fromCharCode(97 + index)}`,
      await freeLoopbackPort(),
      dataDir,
      this.env,
    );
    this.nodes.push(node);
    return node;
  }

  get live(): ClusterNode[] {
    return this.nodes.filter((node) => node.alive);
  }

  /** The node every live node names as leader, once they agree and it says it leads. */
  async agreedLeader(timeoutMs = 15_000, among = this.live): Promise<ClusterNode> {
    return eventually(
      async () => {
        const views = await Promise.all(among.map((node) => node.cluster().then((a) => a.body)));
        const named = new Set(views.map((view) => view?.leader?.nodeId));
        const leading = views.filter((view) => view?.node?.leading);
        if (named.size !== 1 || leading.length !== 1) return undefined;
        return among.find((node) => node.id === leading[0].node.nodeId);
      },
      timeoutMs,
      'one leader every live node agrees on',
    );
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) {
      if (node.process && node.alive) {
        node.resume();
        node.process.child.kill('SIGKILL');
      }
      await node.proxies?.stop();
      rmSync(node.dataDir, { recursive: true, force: true });
    }
    await Promise.all([this.etcd.destroy(), this.db.stop()]);
  }

  /** What each node logged, for a failing test's output. */
  logs(filter = /Cluster|Failover|failover|error/): string {
    return this.nodes
      .map(
        (node) =>
          `--- ${node.id}\n${(node.process?.stdout() ?? '')
            .split('\n')
            .filter((l) => filter.test(l))
            .slice(-30)
            .join('\n')}`,
      )
      .join('\n');
  }
}

/** Polls `probe` until it yields a value (not undefined), or fails naming what was awaited. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? ` (last error: ${lastError.message})` : ''}`,
  );
}
