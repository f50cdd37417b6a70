import type { TopologyState } from './topology-state';

/**
 * Where the topology is kept. Single-node mode: the file in DATA_DIR (FileTopologyStore).
 * Cluster mode: etcd, provided by the cluster feature under EXTERNAL_TOPOLOGY_STORE; its
 * save() is a fenced compare-and-set, so only the node that leads can change it.
 */
export abstract class TopologyStore {
  /** Where the state lives, for logs and `failover status`. */
  abstract readonly description: string;

  /** The stored state; null when nothing was stored yet. */
  abstract load(): Promise<TopologyState | null>;

  /** Stores `next`; rejects (and stores nothing) when this node may not change the topology. */
  abstract save(next: TopologyState): Promise<void>;

  /** Calls `listener` with every state another node stores (the file store never does). */
  abstract watch(listener: (state: TopologyState) => void): void;
}

/** The token under which the cluster feature hands the database layer its etcd store. */
export const EXTERNAL_TOPOLOGY_STORE = Symbol('EXTERNAL_TOPOLOGY_STORE');
