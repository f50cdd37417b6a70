export * from './mariadb-binaries';
export * from './mariadb-server';
export * from './replicated-pair';
