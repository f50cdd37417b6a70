import { Leadership, type LeaderView } from '../../src/cluster';
import type { AppEventMap, AppEventName } from '../../src/common/events/app-events';
import type { EventBus } from '../../src/common/events/event-bus';
import type { AppConfig, FailoverConfig } from '../../src/config/app-config';
import type { MysqlEndpoint } from '../../src/config/mysql-url';
import { FileTopologyStore } from '../../src/database/topology/file-topology.store';
import type { TopologyFile } from '../../src/database/topology/topology-file';
import type { TopologyStore } from '../../src/database/topology/topology-store';
import type { TopologyState } from '../../src/database/topology/topology-state';

export const endpointOn = (port: number): MysqlEndpoint => ({
  host: '127.0.0.1',
  port,
  user: 'logic_ha',
  password: 'p',
  database: 'logic_ha',
});

/** A MariaDB AppConfig with a primary on port 1 and standbys on 2..n. */
export function replicatedConfig(standbys: number, failover: Partial<FailoverConfig> = {}): AppConfig {
  return {
    dataDir: '/nonexistent',
    database: {
      type: 'mysql',
      primary: endpointOn(1),
      standbys: Array.from({ length: standbys }, (_, i) => endpointOn(i + 2)),
      connectTimeoutMs: 1000,
      poolSize: 2,
    },
    monitorAccount: { user: 'monitor', password: 'm' },
    replicationAccount: { user: 'repl', password: 'r' },
    failover: {
      heartbeatIntervalMs: 1000,
      heartbeatTimeoutMs: 1000,
      failureThreshold: 3,
      cooldownMs: 600_000,
      applyTimeoutMs: 5000,
      fastConfirmMs: 1000,
      forceSingleNode: false,
      lossWaitMs: 0,
      allowLoss: false,
      configureReplicas: false,
      ...failover,
    },
    failoverHooks: { pre: null, post: null, failed: null, timeoutMs: 10_000 },
  } as unknown as AppConfig;
}

/** The topology file in memory; `failWrites` simulates a full disk. */
export class InMemoryTopologyFile {
  readonly path = '(memory)/topology.json';
  saved: TopologyState | null = null;
  writes = 0;
  failWrites = false;

  read(): TopologyState | null {
    return this.saved ? structuredClone(this.saved) : null;
  }

  async write(state: TopologyState): Promise<void> {
    if (this.failWrites) throw new Error('ENOSPC: no space left on device');
    this.writes++;
    this.saved = structuredClone(state);
  }

  asFile(): TopologyFile {
    return this;
  }

  /** The store DatabaseTopology reads and writes, over this file. */
  asStore(): TopologyStore {
    return new FileTopologyStore(this.asFile());
  }
}

/** A Leadership a test switches: `leading = false` makes this node a follower (or a deposed leader). */
export class SwitchableLeadership extends Leadership {
  readonly mode = 'etcd' as const;
  readonly nodeId = 'node-a';
  leading = true;

  isLeader(): boolean {
    return this.leading;
  }

  leader(): LeaderView | null {
    return this.leading ? { nodeId: this.nodeId, address: 'http://127.0.0.1:1', since: '' } : null;
  }

  onLeadingChange(): void {}
}

export class RecordingEventBus {
  readonly emitted: { name: AppEventName; payload: unknown }[] = [];

  emit<K extends AppEventName>(name: K, payload: AppEventMap[K]): void {
    this.emitted.push({ name, payload });
  }

  names(): AppEventName[] {
    return this.emitted.map((event) => event.name);
  }

  asBus(): EventBus {
    return this as unknown as EventBus;
  }
}

/** DataSourceSwitch without a database: records where it was opened. */
export class FakeDataSourceSwitch {
  inProgress = false;
  readonly opened: number[] = [];
  failOpen = false;
  schemaRefusal: Error | null = null;
  reopenedBy: string | null = null;

  handReopeningTo(owner: string): void {
    this.reopenedBy = owner;
  }

  async whenOpen(): Promise<void> {}

  async close(_options?: { abandon?: boolean }): Promise<void> {
    this.inProgress = true;
  }

  async open(target: MysqlEndpoint | (() => MysqlEndpoint)): Promise<void> {
    const endpoint = typeof target === 'function' ? target() : target;
    if (this.failOpen) throw new Error('connect ECONNREFUSED');
    this.opened.push(endpoint.port);
    this.inProgress = false;
  }
}
