import { Logger } from '@nestjs/common';
import type { Etcd3 } from 'etcd3';
import { messageOf } from '../../common/errors/error-message';
import type { ClusterNode } from '../leadership';
import type { EtcdKeys } from './etcd-keys';
import type { LeaseKeeper } from './lease-keeper';

/**
 * Each node's entry under `<prefix>/nodes/`, held with its lease (it disappears with the
 * node) and rewritten at every renewal, which is its "last seen". The last list read is
 * kept: without etcd it is the set of nodes the failsafe must hear from.
 */
export class NodeRegistry {
  private readonly logger = new Logger('Cluster');
  private known: ClusterNode[] = [];
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly client: Etcd3,
    private readonly keys: EtcdKeys,
    private readonly keeper: LeaseKeeper,
    private readonly self: Pick<ClusterNode, 'nodeId' | 'address' | 'version'>,
  ) {}

  /** Publishes this node now (its lease was granted at start) and again at every renewal. */
  start(): void {
    this.keeper.onRenewed(() => void this.publish());
    void this.publish();
  }

  /** The nodes as last read from etcd (this one included). */
  get lastKnown(): ClusterNode[] {
    return this.known;
  }

  async list(): Promise<ClusterNode[]> {
    const values = await this.client.getAll().prefix(this.keys.nodes).strings();
    this.known = Object.values(values)
      .map(parseNode)
      .filter((node): node is ClusterNode => node !== null)
      .sort((a, b) => a.nodeId.localeCompare(b.nodeId));
    return this.known;
  }

  private async publish(): Promise<void> {
    const lease = this.keeper.current;
    if (!lease) return;
    const entry: ClusterNode = { ...this.self, startedAt: this.startedAt, lastSeenAt: new Date().toISOString() };
    try {
      await lease.put(this.keys.node(this.self.nodeId)).value(JSON.stringify(entry));
      await this.list();
    } catch (error) {
      this.logger.debug({ msg: 'could not publish this node in etcd', err: messageOf(error) });
    }
  }
}

function parseNode(text: string): ClusterNode | null {
  try {
    const value = JSON.parse(text) as Partial<ClusterNode>;
    return typeof value.nodeId === 'string' && typeof value.address === 'string' ? (value as ClusterNode) : null;
  } catch {
    return null;
  }
}
