import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Provider,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { EventBus } from '../common/events/event-bus';
import { AppConfig } from '../config/app-config';
import { DataSourceSwitch } from '../database/data-source-switch';
import { DatabaseTopology } from '../database/topology/database-topology';
import { TopologyFile } from '../database/topology/topology-file';
import { EXTERNAL_TOPOLOGY_STORE } from '../database/topology/topology-store';
import { ClusterStatusService } from './cluster-status.service';
import { ClusterController } from './cluster.controller';
import { ClusterMetrics } from './cluster.metrics';
import { EtcdCluster } from './etcd/etcd-cluster';
import { EtcdWriteGate } from './etcd/etcd-write-gate';
import { FailsafeProbe } from './etcd/failsafe-probe';
import { LeaderForwarding } from './leader-only';
import { Leadership } from './leadership';
import { PeerClient } from './peer-client';
import { SingleNodeLeadership } from './single-node.leadership';
import { OpenWriteGate, WriteGate } from './write-gate';
import { WriteGateGuard } from './write-gate.guard';

const RUN_CLUSTER = Symbol('RUN_CLUSTER');

/** Starts this node's lease, registry and campaign once the app is built; gives the lease back at shutdown. */
@Injectable()
class EtcdClusterLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly etcd: EtcdCluster,
    private readonly gate: WriteGate,
    private readonly topology: DatabaseTopology,
    @Inject(RUN_CLUSTER) private readonly run: boolean,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.run) return;
    // A new leader first reads the topology: it must not act on what it saw as a follower.
    this.etcd.leadership.prepareWith(async () => void (await this.topology.refresh()));
    this.etcd.registry.start();
    (this.gate as EtcdWriteGate).start();
    await this.etcd.leadership.start();
  }

  async onApplicationShutdown(): Promise<void> {
    (this.gate as EtcdWriteGate).stop();
    await this.etcd.stop();
  }
}

/**
 * Cluster mode when ETCD_ENDPOINTS is set, single-node mode otherwise; either way the app
 * gets one Leadership, one WriteGate and the cluster routes. `run: false` (the CLI) reads
 * the topology from etcd but takes no lease and runs no campaign.
 */
@Global()
@Module({})
export class ClusterModule {
  static forRoot(config: AppConfig, options: { run: boolean }): DynamicModule {
    const cluster = config.cluster;
    const peers: Provider = { provide: PeerClient, useValue: new PeerClient(config.auth.adminToken ?? '') };
    const shared: Provider[] = [
      peers,
      ClusterStatusService,
      ClusterMetrics,
      LeaderForwarding,
      { provide: APP_GUARD, useClass: WriteGateGuard },
    ];
    const exports = [Leadership, WriteGate, LeaderForwarding, PeerClient];
    if (!cluster) {
      const address = `http://${config.http.host}:${config.http.port}`;
      return {
        module: ClusterModule,
        controllers: [ClusterController],
        providers: [
          ...shared,
          {
            provide: Leadership,
            useValue: new SingleNodeLeadership(`${config.http.host}:${config.http.port}`, address),
          },
          { provide: WriteGate, useClass: OpenWriteGate },
        ],
        exports,
      };
    }
    return {
      module: ClusterModule,
      controllers: [ClusterController],
      providers: [
        ...shared,
        { provide: RUN_CLUSTER, useValue: options.run },
        {
          provide: EtcdCluster,
          inject: [EventBus, TopologyFile],
          useFactory: async (events: EventBus, mirror: TopologyFile) => {
            const etcd = new EtcdCluster(cluster, events, mirror);
            // The first renewal is awaited: the write gate knows from the start whether etcd answers.
            if (options.run) await etcd.keeper.start();
            return etcd;
          },
        },
        { provide: EXTERNAL_TOPOLOGY_STORE, inject: [EtcdCluster], useFactory: (etcd: EtcdCluster) => etcd.store },
        { provide: Leadership, inject: [EtcdCluster], useFactory: (etcd: EtcdCluster) => etcd.leadership },
        {
          provide: WriteGate,
          // The CLI's topology session has no data source (and never starts the gate).
          inject: [EtcdCluster, DatabaseTopology, PeerClient, { token: DataSourceSwitch, optional: true }, EventBus],
          useFactory: (
            etcd: EtcdCluster,
            topology: DatabaseTopology,
            client: PeerClient,
            pool: DataSourceSwitch | undefined,
            events: EventBus,
          ) =>
            new EtcdWriteGate(
              etcd.keeper,
              topology,
              cluster.failsafe
                ? new FailsafeProbe(
                    etcd.registry,
                    client,
                    cluster.nodeId,
                    () => (topology.replicated ? topology.epoch : null),
                    Math.floor(cluster.leaseTtlMs / 4),
                  )
                : null,
              { pool: pool ?? null, events, nodeId: cluster.nodeId },
            ),
        },
        EtcdClusterLifecycle,
      ],
      exports: [...exports, EtcdCluster, EXTERNAL_TOPOLOGY_STORE],
    };
  }
}
