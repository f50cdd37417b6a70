/** Stable codes of the cluster feature's errors. */
export enum ClusterErrorCode {
  /** This node does not hold the leader lease; the action belongs to the leader. */
  NotLeader = 'CLUSTER_NOT_LEADER',
  /** Nobody leads right now (an election is under way, or etcd is out of reach). */
  NoLeader = 'CLUSTER_NO_LEADER',
  /** This node has lost etcd for longer than the lease: it may not write to the database. */
  WritesSuspended = 'CLUSTER_WRITES_SUSPENDED',
  /** The topology in etcd changed under this node, or its fence (the leader key) is gone. */
  TopologyConflict = 'CLUSTER_TOPOLOGY_CONFLICT',
  /** etcd did not answer. */
  EtcdUnavailable = 'CLUSTER_ETCD_UNAVAILABLE',
}
