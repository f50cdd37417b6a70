/** What a node tells the others when it evicts config cache entries. */
export interface CacheEviction {
  /**
   * The node that evicted (CLUSTER_NODE_ID); the transport (say "etcd key …") when this node
   * may have missed evictions and clears its whole cache for them.
   */
  origin: string;
  /** null: the whole cache was cleared. */
  logicId: string | null;
  /** The cache keys evicted (a logic's eviction names them: the versions came from its database). */
  keys?: string[];
  /** When the origin evicted, ISO 8601. */
  at: string;
}

/** What the cache hands the bus; the bus stamps the origin and the time. */
export type LocalEviction = Pick<CacheEviction, 'logicId' | 'keys'>;

export type EvictionHandler = (eviction: CacheEviction) => Promise<void>;

/**
 * Carries evictions between the nodes that each keep their own cache, so that a publish
 * or an eviction on one node evicts that entry on every node. The cache knows only this
 * interface: which transport carries the evictions (an etcd watch in cluster mode) is the
 * module's wiring.
 */
export abstract class CacheEvictionBus {
  /** For logs: where evictions go ("etcd key /logic-ha/cache-evictions", "this node only"). */
  abstract readonly description: string;

  /**
   * Tells the other nodes. Rejects when it could not (etcd out of reach): the caller has
   * evicted locally already, logs the failure and carries on.
   */
  abstract publish(eviction: LocalEviction): Promise<void>;

  /**
   * Runs `handler` for every eviction made on another node, one at a time, in the order they
   * were made; never for this node's own. Resolves once the bus listens (the first
   * connection may take a while when the transport is out of reach; nothing is lost then:
   * a node that has not yet listened has cached nothing another node could evict).
   */
  abstract subscribe(handler: EvictionHandler): Promise<void>;

  /** Stops listening (the app's shutdown). */
  abstract close(): Promise<void>;

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }
}

/**
 * Single-node mode, or a cache every node shares (the Redis store: an eviction there is
 * already an eviction for every node, and no node keeps a copy of its own).
 */
export class LocalEvictionBus extends CacheEvictionBus {
  constructor(readonly description = 'this node only') {
    super();
  }

  async publish(): Promise<void> {}

  async subscribe(): Promise<void> {}

  async close(): Promise<void> {}
}

/** Reads an eviction off the wire; throws on anything that is not one (a foreign or damaged value). */
export function parseCacheEviction(raw: string): CacheEviction {
  const value = JSON.parse(raw) as Partial<CacheEviction> | null;
  const isString = (x: unknown): x is string => typeof x === 'string';
  if (
    !value ||
    typeof value !== 'object' ||
    !isString(value.origin) ||
    !isString(value.at) ||
    !(value.logicId === null || isString(value.logicId)) ||
    !(value.keys === undefined || (Array.isArray(value.keys) && value.keys.every(isString)))
  )
    throw new Error(`not a cache eviction: ${raw.slice(0, 200)}`);
  return {
    origin: value.origin,
    logicId: value.logicId,
    ...(value.keys ? { keys: value.keys } : {}),
    at: value.at,
  };
}
