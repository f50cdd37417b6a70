export * from './etcd-member';
export * from './etcd-cluster';
export * from './etcd-proxies';
