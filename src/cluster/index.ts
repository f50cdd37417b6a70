export { ClusterModule } from './cluster.module';
export { Leadership } from './leadership';
export type { ClusterNode, LeaderView } from './leadership';
export { LeaderOnly, LeaderForwarding } from './leader-only';
export { WriteGate } from './write-gate';
export { ClusterErrorCode } from './cluster.errors';
export { EtcdCluster } from './etcd/etcd-cluster';
