/** The keys a deployment keeps under CLUSTER_PREFIX. */
export class EtcdKeys {
  constructor(private readonly prefix: string) {}

  /** Held with the leader's lease; its create revision is the fencing token. */
  get leader(): string {
    return `${this.prefix}/leader`;
  }

  /** The topology (TopologyState JSON): primary, epoch, fenced servers, controls. */
  get topology(): string {
    return `${this.prefix}/topology`;
  }

  /** One entry per node, held with that node's lease: it disappears when the node does. */
  get nodes(): string {
    return `${this.prefix}/nodes/`;
  }

  node(nodeId: string): string {
    return `${this.nodes}${nodeId}`;
  }

  /** Config cache evictions every node applies (a put per eviction; the value names the key). */
  get cacheEvictions(): string {
    return `${this.prefix}/cache-evictions`;
  }
}
