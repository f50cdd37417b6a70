/** Whether this node may write to the database now, and why not. */
export type WriteVerdict =
  { allowed: true; via: 'single-node' | 'etcd' | 'failsafe' } | { allowed: false; reason: string };

/**
 * The answer to "may this node write to the database?". Single-node mode: always. Cluster
 * mode: only while it is in contact with etcd and has read the topology since any gap
 * (EtcdWriteGate), since a failover may have happened without it.
 */
export abstract class WriteGate {
  abstract verdict(): WriteVerdict;
}

export class OpenWriteGate extends WriteGate {
  verdict(): WriteVerdict {
    return { allowed: true, via: 'single-node' };
  }
}
