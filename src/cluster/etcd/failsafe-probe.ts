import { Logger } from '@nestjs/common';
import { messageOf } from '../../common/errors/error-message';
import type { PeerClient } from '../peer-client';
import type { NodeRegistry } from './node-registry';

/** What a node says about itself to a peer checking the failsafe. */
export interface PeerReport {
  nodeId: string;
  epoch: number | null;
  /** It has been in contact with etcd within the lease. */
  etcdReachable: boolean;
  leading: boolean;
}

export interface FailsafeResult {
  confirmed: boolean;
  /** Why not, naming the nodes. */
  reason: string;
  checkedAt: number;
}

/**
 * The failsafe (CLUSTER_FAILSAFE, after Patroni's): without etcd a node may go on writing
 * only while every node it last knew answers over HTTP, reports the same epoch, and does
 * not reach etcd either. Then nobody can have promoted anything (a promotion needs etcd),
 * so the primary this node writes to is still the primary. One silent node, or one that
 * still reaches etcd, ends it.
 */
export class FailsafeProbe {
  private readonly logger = new Logger('Cluster');
  private last: FailsafeResult = { confirmed: false, reason: 'not checked yet', checkedAt: -Infinity };
  private checking = false;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly peers: PeerClient,
    private readonly selfId: string,
    private readonly epoch: () => number | null,
    private readonly maxAgeMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The last result while fresh; a stale one starts a new check and counts as not confirmed. */
  confirmed(): FailsafeResult {
    if (this.now() - this.last.checkedAt > this.maxAgeMs) {
      void this.check();
      if (this.now() - this.last.checkedAt > 2 * this.maxAgeMs) return { ...this.last, confirmed: false };
    }
    return this.last;
  }

  async check(): Promise<FailsafeResult> {
    if (this.checking) return this.last;
    this.checking = true;
    try {
      const known = this.registry.lastKnown;
      const others = known.filter((node) => node.nodeId !== this.selfId);
      const problems = await Promise.all(others.map((node) => this.problemWith(node.nodeId, node.address)));
      const found = problems.filter((problem): problem is string => problem !== null);
      // A node that never read the list (started while etcd was down) knows no peers: an empty
      // "every known node answers" would confirm without asking anyone.
      if (known.length === 0) found.push('this node never read the list of nodes from etcd');
      const confirmed = found.length === 0;
      if (confirmed !== this.last.confirmed)
        this.logger.warn({
          msg: confirmed ? 'failsafe: every node answers, writes go on' : 'failsafe: not confirmed',
          found,
        });
      this.last = {
        confirmed,
        reason: confirmed ? 'every known node answers' : found.join('; '),
        checkedAt: this.now(),
      };
      return this.last;
    } finally {
      this.checking = false;
    }
  }

  private async problemWith(nodeId: string, address: string): Promise<string | null> {
    try {
      const answer = await this.peers.call(address, '/api/v1/cluster/peer', { timeoutMs: 1000 });
      const report = answer.body as Partial<PeerReport> | undefined;
      if (answer.status !== 200 || !report) return `${nodeId} answered ${answer.status}`;
      if (report.etcdReachable) return `${nodeId} still reaches etcd`;
      if (report.epoch !== this.epoch()) return `${nodeId} is at epoch ${report.epoch}, this node at ${this.epoch()}`;
      return null;
    } catch (error) {
      return `${nodeId} did not answer (${messageOf(error)})`;
    }
  }
}
