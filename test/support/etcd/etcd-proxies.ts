import { TcpProxy } from '../tcp-proxy';
import type { EtcdCluster } from './etcd-cluster';

/**
 * One client's own road to etcd: a TcpProxy in front of every member's client port. Give
 * `endpointsEnv` to ONE logic-ha node; cut() then partitions that node from all of etcd while
 * every other node (on etcd.endpoints) carries on. Proxying the client URLs is enough: an
 * etcd3 (gRPC) client only ever dials the hosts it was given, it discovers no other members.
 * A member restarted by the test comes back on the same port, behind the same proxy.
 */
export class EtcdProxies {
  private constructor(readonly proxies: readonly TcpProxy[]) {}

  static async start(etcd: EtcdCluster): Promise<EtcdProxies> {
    const proxies: TcpProxy[] = [];
    try {
      for (const member of etcd.members) proxies.push(await TcpProxy.start(member.clientPort));
    } catch (error) {
      await Promise.all(proxies.map((proxy) => proxy.stop()));
      throw error;
    }
    return new EtcdProxies(proxies);
  }

  get endpoints(): string[] {
    return this.proxies.map((proxy) => `http://127.0.0.1:${proxy.port}`);
  }

  get endpointsEnv(): string {
    return this.endpoints.join(',');
  }

  /** Partition: bytes stop both ways, new connections hang (no reset, no refusal). */
  cut(): void {
    for (const proxy of this.proxies) proxy.cut();
  }

  /** Cuts this client off from one member only (index as in etcd.member(i)). */
  cutMember(index: number): void {
    const proxy = this.proxies[index];
    if (!proxy) throw new Error(`no proxy for etcd member ${index}`);
    proxy.cut();
  }

  /** Drops the hung connections; the client reconnects through the proxies. */
  heal(): void {
    for (const proxy of this.proxies) proxy.heal();
  }

  async stop(): Promise<void> {
    await Promise.all(this.proxies.map((proxy) => proxy.stop()));
  }
}

/** Shorthand: `const road = await etcdBehindProxies(etcd)`. */
export function etcdBehindProxies(etcd: EtcdCluster): Promise<EtcdProxies> {
  return EtcdProxies.start(etcd);
}
