import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from './mariadb/free-port';

/** The machine's own etcd listens here (and its peers on the next port): never take them. */
const SYSTEM_ETCD_PORTS = [2379, 2380];

/**
 * A private single-member etcd on free loopback ports with a temporary data directory, for
 * tests and benchmarks that need one etcd, not a cluster (the 3-member harness lives in
 * test/support/etcd/). kill() and start() again keep the ports and the data: an outage.
 */
export class SingleEtcd {
  private child: ChildProcess | null = null;
  private output = '';

  private constructor(
    readonly clientPort: number,
    private readonly peerPort: number,
    private readonly dataDir: string,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  static async start(): Promise<SingleEtcd> {
    const [clientPort, peerPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
    if ([clientPort, peerPort].some((port) => SYSTEM_ETCD_PORTS.includes(port)))
      throw new Error('refusing the system etcd ports');
    const etcd = new SingleEtcd(clientPort, peerPort, mkdtempSync(join(tmpdir(), 'logic-ha-etcd-')));
    await etcd.resume();
    return etcd;
  }

  /** Starts the member (again): same ports, same data. */
  async resume(): Promise<void> {
    const client = `http://127.0.0.1:${this.clientPort}`;
    const peer = `http://127.0.0.1:${this.peerPort}`;
    this.output = '';
    const child = spawn(
      '/usr/bin/etcd',
      [
        ...['--name', 'n1', '--data-dir', this.dataDir],
        ...['--listen-client-urls', client, '--advertise-client-urls', client],
        ...['--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer],
        ...['--initial-cluster', `n1=${peer}`],
        ...['--heartbeat-interval', '50', '--election-timeout', '300'],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000)));
    this.child = child;
    for (let attempt = 0; attempt < 200; attempt++) {
      if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode}: ${this.output}`);
      try {
        const health = (await (await fetch(`${client}/health`)).json()) as { health?: string };
        if (health.health === 'true') return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.kill();
    throw new Error(`etcd did not become healthy on ${client}: ${this.output}`);
  }

  /** kill -9: the outage a client sees (refused connections). */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
