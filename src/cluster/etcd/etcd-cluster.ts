import { Logger } from '@nestjs/common';
import type { Etcd3 } from 'etcd3';
import { APP_VERSION } from '../../common/app-version';
import { messageOf } from '../../common/errors/error-message';
import type { EventBus } from '../../common/events/event-bus';
import type { ClusterConfig } from '../../config/app-config';
import type { TopologyFile } from '../../database/topology/topology-file';
import { createEtcdClient, etcdCallTimeoutMs } from './etcd-client.factory';
import { EtcdKeys } from './etcd-keys';
import { EtcdLeadership } from './etcd-leadership';
import { EtcdTopologyStore } from './etcd-topology.store';
import { LeaseKeeper } from './lease-keeper';
import { NodeRegistry } from './node-registry';

/**
 * This node's parts of an etcd cluster, built on one client: the lease (and its deadline),
 * the election, the node registry and the topology store (which catches up with etcd after
 * every renewal). A one-off command (the CLI) builds it too, to read the topology, but
 * never starts the lease.
 */
export class EtcdCluster {
  private readonly logger = new Logger('Cluster');
  readonly client: Etcd3;
  readonly keys: EtcdKeys;
  readonly keeper: LeaseKeeper;
  readonly leadership: EtcdLeadership;
  readonly registry: NodeRegistry;
  readonly store: EtcdTopologyStore;

  constructor(
    readonly config: ClusterConfig,
    events: EventBus,
    mirror: TopologyFile,
  ) {
    const callTimeoutMs = etcdCallTimeoutMs(config.leaseTtlMs);
    this.client = createEtcdClient(config.endpoints, callTimeoutMs);
    this.keys = new EtcdKeys(config.prefix);
    this.keeper = new LeaseKeeper(this.client, config.leaseTtlMs, callTimeoutMs);
    this.leadership = new EtcdLeadership(
      this.client,
      this.keys,
      this.keeper,
      config.nodeId,
      config.nodeAddress,
      events,
    );
    this.registry = new NodeRegistry(this.client, this.keys, this.keeper, {
      nodeId: config.nodeId,
      address: config.nodeAddress,
      version: APP_VERSION,
    });
    this.store = new EtcdTopologyStore(this.client, this.keys, this.leadership, mirror);
    // A cheap read of the topology after every renewal delivers what a broken or silent
    // watch missed; etcd out of reach again is the lease keeper's to report, not this.
    this.keeper.onRenewed(
      () =>
        void this.store
          .catchUp()
          .catch((error: unknown) =>
            this.logger.debug({ msg: 'could not catch up with the topology', err: messageOf(error) }),
          ),
    );
  }

  /** The leader's lease as etcd counts it (whole seconds), in ms; null when nobody leads. */
  async leaderLeaseRemainingMs(): Promise<number | null> {
    const kv = (await this.client.get(this.keys.leader).exec()).kvs[0];
    if (!kv || kv.lease === '0') return null;
    const answer = await this.client.leaseClient.leaseTimeToLive({ ID: kv.lease });
    return Number(answer.TTL) * 1000;
  }

  /** Gives the lease back (another node takes over at once) and closes the client. */
  async stop(): Promise<void> {
    await this.leadership.stop();
    await this.store.stop();
    await this.keeper.stop();
    this.client.close();
  }
}
