import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3, type IOptions } from 'etcd3';
import { freeLoopbackPort } from '../mariadb/free-port';
import { EtcdMember, SYSTEM_ETCD_PORTS } from './etcd-member';

const HEALTHY_TIMEOUT_MS = 20_000;
/** One probe write; a write without quorum would otherwise wait out etcd's own request timeout. */
const PROBE_DEADLINE_MS = 1_000;

export interface EtcdClusterOptions {
  /** 3 for the real thing; 1 for cheap tests that need some etcd. */
  members?: number;
  /**
   * Raft timing. The defaults (50/300) elect a first leader in about 0.5 s here; on a loaded
   * machine a slower pair (100/1000) avoids spurious leader changes in long tests. Note that
   * etcd answers a write it could not commit after 5 s + 2 x electionTimeoutMs.
   */
  heartbeatIntervalMs?: number;
  electionTimeoutMs?: number;
  /** Extra etcd flags for every member. */
  extraArgs?: string[];
}

/** Every cluster this process started, so a crashed test run does not leave etcd behind. */
const live = new Set<EtcdCluster>();
process.once('exit', () => {
  for (const cluster of live) cluster.destroyNow();
});

/**
 * A private etcd cluster on free 127.0.0.1 ports (never 2379/2380) with temporary data
 * dirs and a token of its own, so it can never join or be joined by anything else.
 *
 *   const etcd = await EtcdCluster.start({ members: 3 });
 *   spawnApp({ ETCD_ENDPOINTS: etcd.endpointsEnv, ... });
 *   await etcd.member(0).kill();
 *   await etcd.destroy();   // afterAll
 */
export class EtcdCluster {
  private readonly clients = new Set<Etcd3>();
  private destroyed = false;
  /** How start() went: spawn to every client port accepting connections, and spawn to the first quorum write. */
  readonly startup = { listeningMs: 0, firstQuorumWriteMs: 0 };

  private constructor(
    readonly baseDir: string,
    readonly members: readonly EtcdMember[],
  ) {
    live.add(this);
  }

  static async start(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    const count = options.members ?? 3;
    if (!Number.isInteger(count) || count < 1) throw new Error(`members must be a positive integer, not ${count}`);
    const ports = await distinctPorts(count * 2);
    const baseDir = mkdtempSync(join(tmpdir(), 'logic-ha-etcd-'));
    const names = Array.from({ length: count }, (_, i) => `etcd${i}`);
    const initialCluster = names.map((name, i) => `${name}=http://127.0.0.1:${ports[2 * i + 1]}`).join(',');
    const token = `logic-ha-test-${randomUUID()}`;
    // The cluster object exists before any spawn, so 'exit' and destroy() reach every child.
    const members: EtcdMember[] = [];
    const cluster = new EtcdCluster(baseDir, members);
    for (const [i, name] of names.entries()) {
      const spec = {
        name,
        clientPort: ports[2 * i],
        peerPort: ports[2 * i + 1],
        baseDir,
        initialCluster,
        token,
        heartbeatIntervalMs: options.heartbeatIntervalMs ?? 50,
        electionTimeoutMs: options.electionTimeoutMs ?? 300,
        extraArgs: options.extraArgs ?? [],
      };
      members.push(new EtcdMember(spec));
    }
    try {
      const spawnedAt = Date.now();
      // All at once: a first member waits for its peers before it elects a leader anyway.
      await Promise.all(members.map((member) => member.start()));
      cluster.startup.listeningMs = Date.now() - spawnedAt;
      await cluster.waitHealthy();
      cluster.startup.firstQuorumWriteMs = Date.now() - spawnedAt;
      return cluster;
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
  }

  member(index: number): EtcdMember {
    const member = this.members[index];
    if (!member) throw new Error(`no etcd member ${index} (the cluster has ${this.members.length})`);
    return member;
  }

  /** Client URLs, `http://127.0.0.1:port`, one per member. */
  get endpoints(): string[] {
    return this.members.map((member) => member.clientUrl);
  }

  /** The endpoints as ETCD_ENDPOINTS takes them. */
  get endpointsEnv(): string {
    return this.endpoints.join(',');
  }

  /** An etcd3 client on every member (or `hosts`); destroy() closes it if the test did not. */
  client(options: Partial<IOptions> = {}): Etcd3 {
    const client = new Etcd3({ hosts: this.endpoints, ...options });
    this.clients.add(client);
    return client;
  }

  /**
   * Waits until a write reaches quorum: a leader is elected and a majority of members apply.
   * Fails fast, with the logs, when every member has exited.
   */
  async waitHealthy(timeoutMs = HEALTHY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (this.members.every((member) => !member.running))
        throw new Error(`every etcd member has exited:\n${this.logTails()}`);
      const client = new Etcd3({ hosts: this.endpoints });
      try {
        await client
          .put('/logic-ha-test/health')
          .value(new Date().toISOString())
          .options({ deadline: Date.now() + PROBE_DEADLINE_MS });
        return;
      } catch (error) {
        lastError = error;
      } finally {
        client.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`etcd had no quorum within ${timeoutMs} ms (${String(lastError)}):\n${this.logTails()}`);
  }

  /**
   * The index of the member raft currently follows, as the running members report it through
   * etcd's JSON gateway; undefined while they have no leader (or disagree, mid-election).
   */
  async leaderIndex(): Promise<number | undefined> {
    const statuses = await Promise.all(this.members.map((member) => memberStatus(member)));
    const leaders = new Set(statuses.flatMap((status) => (status && status.leader !== '0' ? [status.leader] : [])));
    if (leaders.size !== 1) return undefined;
    const [leader] = leaders;
    const index = statuses.findIndex((status) => status?.memberId === leader);
    return index >= 0 ? index : undefined;
  }

  /** Clean shutdown of every member; data dirs stay, startAll() brings them back. */
  async stopAll(): Promise<void> {
    await Promise.all(this.members.map((member) => member.stop()));
  }

  /** Starts every member that is not running and waits for quorum. */
  async startAll(): Promise<void> {
    await Promise.all(this.members.filter((member) => !member.running).map((member) => member.start()));
    await this.waitHealthy();
  }

  /** Kills everything and removes the data dirs; safe to call twice or after a failed start. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const client of this.clients) client.close();
    this.clients.clear();
    await Promise.all(this.members.map((member) => member.kill()));
    live.delete(this);
    rmSync(this.baseDir, { recursive: true, force: true });
  }

  /** Synchronous last resort for the process 'exit' hook. */
  destroyNow(): void {
    for (const member of this.members) member.killNow();
    rmSync(this.baseDir, { recursive: true, force: true });
  }

  logTails(lines = 15): string {
    return this.members.map((member) => `--- ${member.name} (${member.logFile})\n${member.logTail(lines)}`).join('\n');
  }
}

async function memberStatus(member: EtcdMember): Promise<{ memberId: string; leader: string } | undefined> {
  if (!member.running) return undefined;
  try {
    const response = await fetch(`${member.clientUrl}/v3/maintenance/status`, {
      method: 'POST',
      body: '{}',
      signal: AbortSignal.timeout(1000),
    });
    if (!response.ok) return undefined;
    // uint64 ids arrive as JSON strings: compared as such, never as numbers.
    const body = (await response.json()) as { header?: { member_id?: string }; leader?: string };
    return { memberId: body.header?.member_id ?? '', leader: body.leader ?? '0' };
  } catch {
    return undefined;
  }
}

/** n distinct free loopback ports, none of the system etcd's. */
async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) {
    const port = await freeLoopbackPort();
    if (!SYSTEM_ETCD_PORTS.includes(port)) ports.add(port);
  }
  return [...ports];
}
