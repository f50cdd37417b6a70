import { Logger } from '@nestjs/common';
import type { Etcd3, Lease } from 'etcd3';
import { messageOf } from '../../common/errors/error-message';
import type { ClusterNode } from '../leadership';
import type { EtcdKeys } from './etcd-keys';
import type { LeaseKeeper, MonotonicNow } from './lease-keeper';

/**
 * How often a node rewrites its entry while its lease lives. Every put is a new etcd
 * revision that stays until compaction: at each renewal (TTL/4) three nodes would add
 * about 100,000 a day. The lease, not the entry, says whether a node is alive.
 */
export const PUBLISH_INTERVAL_MS = 60_000;

/**
 * Each node's entry under `<prefix>/nodes/`, held with its lease (it disappears with the
 * node). It is written when a lease is granted and then at most once a minute, so its
 * `lastSeenAt` is coarse. The list is read again at every renewal (a read adds no
 * revision) and the last one kept: without etcd it is the set of nodes the failsafe must
 * hear from.
 */
export class NodeRegistry {
  private readonly logger = new Logger('Cluster');
  private known: ClusterNode[] = [];
  private readonly startedAt = new Date().toISOString();
  /** The lease the entry was last written with, and when: a new lease (the old one expired with its keys) writes at once. */
  private published: { lease: Lease; at: number } | null = null;

  constructor(
    private readonly client: Etcd3,
    private readonly keys: EtcdKeys,
    private readonly keeper: LeaseKeeper,
    private readonly self: Pick<ClusterNode, 'nodeId' | 'address' | 'version'>,
    private readonly now: MonotonicNow = () => performance.now(),
  ) {}

  /** Publishes this node now (its lease was granted at start), then keeps its entry and the list current at every renewal. */
  start(): void {
    this.keeper.onRenewed(() => void this.refresh());
    void this.refresh();
  }

  /** The nodes as last read from etcd (this one included). */
  get lastKnown(): ClusterNode[] {
    return this.known;
  }

  /** One range read of `<prefix>/nodes/`. */
  async list(): Promise<ClusterNode[]> {
    const values = await this.client.getAll().prefix(this.keys.nodes).strings();
    this.known = Object.values(values)
      .map(parseNode)
      .filter((node): node is ClusterNode => node !== null)
      .sort((a, b) => a.nodeId.localeCompare(b.nodeId));
    return this.known;
  }

  private async refresh(): Promise<void> {
    try {
      await this.publishIfDue();
      await this.list();
    } catch (error) {
      this.logger.debug({ msg: 'could not publish this node in etcd', err: messageOf(error) });
    }
  }

  private async publishIfDue(): Promise<void> {
    const lease = this.keeper.current;
    if (!lease) return;
    const now = this.now();
    if (this.published?.lease === lease && now - this.published.at < PUBLISH_INTERVAL_MS) return;
    const entry: ClusterNode = { ...this.self, startedAt: this.startedAt, lastSeenAt: new Date().toISOString() };
    await lease.put(this.keys.node(this.self.nodeId)).value(JSON.stringify(entry));
    this.published = { lease, at: now };
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
