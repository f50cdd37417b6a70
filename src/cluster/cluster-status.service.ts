import { Injectable, Optional } from '@nestjs/common';
import { APP_VERSION } from '../common/app-version';
import { AppConfig } from '../config/app-config';
import { DatabaseTopology } from '../database/topology/database-topology';
import type { ClusterStatus } from './cluster-status';
import type { PeerReport } from './etcd/failsafe-probe';
import { EtcdCluster } from './etcd/etcd-cluster';
import { Leadership } from './leadership';
import { WriteGate } from './write-gate';

/** What this node knows about the cluster: who leads, the nodes, the lease, whether it may write. */
@Injectable()
export class ClusterStatusService {
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly config: AppConfig,
    private readonly leadership: Leadership,
    private readonly gate: WriteGate,
    private readonly topology: DatabaseTopology,
    @Optional() private readonly etcd?: EtcdCluster,
  ) {}

  async status(): Promise<ClusterStatus> {
    const epoch = this.topology.replicated ? this.topology.epoch : null;
    const address = this.config.cluster?.nodeAddress ?? `http://${this.config.http.host}:${this.config.http.port}`;
    const leading = this.leadership.isLeader();
    const node = {
      nodeId: this.leadership.nodeId,
      address,
      leading,
      leaseRemainingMs: this.etcd ? this.etcd.keeper.remainingMs() : null,
      lastEtcdContactAt: this.etcd?.keeper.lastContactAt?.toISOString() ?? null,
      writes: this.gate.verdict(),
    };
    if (!this.etcd) {
      const self = {
        nodeId: node.nodeId,
        address,
        version: APP_VERSION,
        startedAt: this.startedAt,
        lastSeenAt: new Date().toISOString(),
      };
      return {
        mode: 'single-node',
        node,
        leader: this.leadership.leader(),
        leaderLeaseRemainingMs: null,
        leaseTtlMs: null,
        nodes: [{ ...self, leader: true }],
        epoch,
      };
    }
    const leader = this.leadership.leader();
    const nodes = await this.etcd.registry.list().catch(() => this.etcd!.registry.lastKnown);
    return {
      mode: 'etcd',
      node,
      leader,
      // etcd out of reach: the lease is unknown, the rest is what this node last saw.
      leaderLeaseRemainingMs: await this.etcd.leaderLeaseRemainingMs().catch(() => null),
      leaseTtlMs: this.etcd.keeper.ttlMs,
      nodes: nodes.map((entry) => ({ ...entry, leader: entry.nodeId === leader?.nodeId })),
      epoch,
    };
  }

  /** What a peer checking the failsafe needs to hear. */
  peerReport(): PeerReport {
    return {
      nodeId: this.leadership.nodeId,
      epoch: this.topology.replicated ? this.topology.epoch : null,
      etcdReachable: this.etcd ? this.etcd.keeper.inContact() : false,
      leading: this.leadership.isLeader(),
    };
  }
}
