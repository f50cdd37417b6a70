import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { ClusterErrorCode } from './cluster.errors';

/** A node as the cluster knows it. */
export interface ClusterNode {
  nodeId: string;
  /** Where its HTTP API answers. */
  address: string;
  version: string;
  startedAt: string;
  /** The last time it wrote its entry in etcd: when its lease was granted, then about once a minute (coarse). */
  lastSeenAt: string;
}

/** The node holding the leader key. */
export interface LeaderView {
  nodeId: string;
  address: string;
  since: string;
}

/**
 * Who may act on the database servers: run a failover, fence, take scheduled backups, run
 * the instance jobs. Single-node mode: this node, always. Cluster mode: the holder of the
 * etcd lease, and only while its own deadline has not passed (see EtcdLeadership).
 * Callers ask right before each action, never once for a whole sequence.
 */
export abstract class Leadership {
  abstract readonly mode: 'single-node' | 'etcd';
  abstract readonly nodeId: string;

  abstract isLeader(): boolean;

  /** The leader as this node last heard of it; null while nobody leads (or etcd is out of reach). */
  abstract leader(): LeaderView | null;

  /** Calls `listener` whenever this node starts or stops leading. */
  abstract onLeadingChange(listener: (leading: boolean) => void): void;

  /** Throws unless this node leads now. */
  assertLeader(action: string): void {
    if (this.isLeader()) return;
    const leader = this.leader();
    throw new DomainError(
      ClusterErrorCode.NotLeader,
      ErrorKind.Conflict,
      `${action}: this node (${this.nodeId}) does not lead the cluster` +
        (leader ? `; the leader is ${leader.nodeId} at ${leader.address}` : '; no node leads right now'),
    );
  }
}
