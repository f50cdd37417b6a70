import type { DatabaseTopology } from '../database/topology/database-topology';
import type { ServerAddress } from './probes/server-probe';

export function addressOf(topology: DatabaseTopology, key: string): ServerAddress {
  const endpoint = topology.endpointOf(key);
  return { key, host: endpoint.host, port: endpoint.port, database: endpoint.database };
}
