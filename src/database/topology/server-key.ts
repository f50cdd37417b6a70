import type { MysqlEndpoint } from '../../config/mysql-url';
import type { ServerKey } from './topology-state';

/** A server's identity in the topology: `host:port` as configured (IPv6 hosts bracketed). */
export function serverKeyOf(endpoint: Pick<MysqlEndpoint, 'host' | 'port'>): ServerKey {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}
