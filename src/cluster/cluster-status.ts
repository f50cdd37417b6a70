import type { ClusterNode, LeaderView } from './leadership';
import type { WriteVerdict } from './write-gate';

/** GET /api/v1/cluster and `cluster status`. */
export interface ClusterStatus {
  mode: 'single-node' | 'etcd';
  /** The node that answered. */
  node: {
    nodeId: string;
    address: string;
    leading: boolean;
    /** ms of its lease it can rely on (leader or not); null in single-node mode. */
    leaseRemainingMs: number | null;
    lastEtcdContactAt: string | null;
    writes: WriteVerdict;
  };
  leader: LeaderView | null;
  /** The leader's lease as etcd counts it, in ms (whole seconds); null when unknown. */
  leaderLeaseRemainingMs: number | null;
  leaseTtlMs: number | null;
  nodes: (ClusterNode & { leader: boolean })[];
  epoch: number | null;
}
