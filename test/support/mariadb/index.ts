export * from './mariadb-binaries';
export * from './mariadb-server';
export * from './replicated-pair';
export * from './failover-cluster';
export * from './table-checksums';
