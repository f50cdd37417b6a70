import type { Credentials } from '../../src/config/app-config';
import type { ReplicaStatus } from '../../src/failover/probes/replica-status';
import {
  type EpochRecord,
  type PrimaryHeartbeat,
  type RecordedEpoch,
  type ReplicationSettings,
  type SemiSyncRole,
  type ServerAddress,
  ServerProbe,
} from '../../src/failover/probes/server-probe';

export function replicaStatus(overrides: Partial<ReplicaStatus> = {}): ReplicaStatus {
  return {
    ioRunning: 'Yes',
    sqlRunning: 'Yes',
    masterHost: '127.0.0.1',
    masterPort: 3306,
    gtidIoPosition: '0-1-10',
    gtidSlavePosition: '0-1-10',
    secondsBehindMaster: 0,
    readMasterLogFile: 'binlog.000001',
    readMasterLogPosition: 100,
    receivedHeartbeats: 1,
    heartbeatPeriodSeconds: 1,
    lastIoError: '',
    lastIoErrno: 0,
    lastSqlError: '',
    ...overrides,
  };
}

interface FakeServer {
  up: boolean;
  readOnly: boolean;
  replica: ReplicaStatus | null;
  gtidBinlogPosition: string;
  appliesWithinTimeout: boolean;
  /** Its logic_ha_epoch rows, oldest first (replication is not simulated: set a standby's by hand). */
  epochs: RecordedEpoch[];
  /** What replicationSettings() answers (read_only comes from `readOnly`). */
  settings: Omit<ReplicationSettings, 'readOnly'>;
}

/** A logic_ha_epoch row as a test sets it up on a server. */
export function recordedEpoch(overrides: Partial<RecordedEpoch> = {}): RecordedEpoch {
  return {
    epoch: 1,
    primary: '127.0.0.1:1',
    managedBy: 'single-node',
    writer: null,
    recordedAt: '2026-11-27T11:00:00.000Z',
    ...overrides,
  };
}

/**
 * ServerProbe over an in-memory set of servers: tests flip `up`, edit replica status,
 * and read `calls` to see what the monitor did, in order.
 */
export class FakeServerProbe extends ServerProbe {
  readonly servers = new Map<string, FakeServer>();
  readonly calls: string[] = [];
  /** Makes the named action throw, e.g. `detachReplica`. */
  failing = new Set<string>();

  add(key: string, server: Partial<FakeServer> = {}): this {
    this.servers.set(key, {
      up: true,
      readOnly: false,
      replica: null,
      gtidBinlogPosition: '0-1-10',
      appliesWithinTimeout: true,
      epochs: [],
      settings: { semiSyncMasterEnabled: true, semiSyncSlaveEnabled: true, semiSyncSlaveActive: true },
      ...server,
    });
    return this;
  }

  server(key: string): FakeServer {
    const found = this.servers.get(key);
    if (!found) throw new Error(`fake: no server ${key}`);
    return found;
  }

  async heartbeat(address: ServerAddress): Promise<PrimaryHeartbeat> {
    const server = this.reach(address, 'heartbeat');
    return { gtidBinlogPosition: server.gtidBinlogPosition, readOnly: server.readOnly, semiSyncActive: true };
  }

  async replicaStatus(address: ServerAddress): Promise<ReplicaStatus | null> {
    const server = this.reach(address, 'replicaStatus');
    return server.replica ? { ...server.replica } : null;
  }

  async readOnly(address: ServerAddress): Promise<boolean> {
    return this.reach(address, 'readOnly').readOnly;
  }

  async setReadOnly(address: ServerAddress, on: boolean): Promise<void> {
    this.act(address, `setReadOnly:${on}`).readOnly = on;
  }

  async killConnectionsOf(address: ServerAddress, user: string): Promise<number> {
    this.act(address, `killConnectionsOf:${user}`);
    return 2;
  }

  async stopReplicaIo(address: ServerAddress): Promise<void> {
    const server = this.act(address, 'stopReplicaIo');
    if (server.replica) server.replica.ioRunning = 'No';
  }

  async startReplicaIo(address: ServerAddress): Promise<void> {
    const server = this.act(address, 'startReplicaIo');
    if (server.replica) server.replica.ioRunning = 'Yes';
  }

  async startReplica(address: ServerAddress): Promise<void> {
    const server = this.act(address, 'startReplica');
    if (server.replica) Object.assign(server.replica, { ioRunning: 'Yes', sqlRunning: 'Yes' });
  }

  async waitForApplied(address: ServerAddress, position: string): Promise<boolean> {
    return this.act(address, `waitForApplied:${position}`).appliesWithinTimeout;
  }

  async detachReplica(address: ServerAddress): Promise<void> {
    this.act(address, 'detachReplica').replica = null;
  }

  async replicateFrom(address: ServerAddress, source: ServerAddress, _account: Credentials): Promise<void> {
    const server = this.act(address, `replicateFrom:${source.key}`);
    server.replica = replicaStatus({ masterPort: source.port });
  }

  async recordEpoch(address: ServerAddress, record: EpochRecord): Promise<void> {
    const server = this.act(address, `recordEpoch:${record.epoch}`);
    const newest = server.epochs.at(-1);
    if (newest && newest.epoch >= record.epoch)
      throw new Error(`${address.key} already records epoch ${newest.epoch}: epoch ${record.epoch} not recorded`);
    server.epochs.push({ ...record, recordedAt: new Date().toISOString() });
  }

  async recordedEpoch(address: ServerAddress): Promise<RecordedEpoch | null> {
    const newest = this.reach(address, 'recordedEpoch').epochs.at(-1);
    return newest ? { ...newest } : null;
  }

  async replicationSettings(address: ServerAddress): Promise<ReplicationSettings> {
    const server = this.reach(address, 'replicationSettings');
    return { readOnly: server.readOnly, ...server.settings };
  }

  async setSemiSync(address: ServerAddress, role: SemiSyncRole, on: boolean): Promise<void> {
    const server = this.act(address, `setSemiSync:${role}=${on}`);
    if (role === 'master') server.settings.semiSyncMasterEnabled = on;
    else server.settings.semiSyncSlaveEnabled = on;
  }

  async restartReplicaIo(address: ServerAddress): Promise<void> {
    const server = this.act(address, 'restartReplicaIo');
    server.settings.semiSyncSlaveActive = server.settings.semiSyncSlaveEnabled;
  }

  async setHeartbeatPeriod(address: ServerAddress, seconds: number): Promise<void> {
    const server = this.act(address, `setHeartbeatPeriod:${seconds}`);
    if (server.replica) server.replica.heartbeatPeriodSeconds = seconds;
    server.settings.semiSyncSlaveActive = server.settings.semiSyncSlaveEnabled;
  }

  async globalPrivilegesOf(): Promise<string[]> {
    return ['GRANT USAGE ON *.* TO `app`@`%`'];
  }

  async close(): Promise<void> {}

  private reach(address: ServerAddress, what: string): FakeServer {
    const server = this.server(address.key);
    if (!server.up || this.failing.has(what)) throw new Error(`connect ECONNREFUSED ${address.key}`);
    return server;
  }

  private act(address: ServerAddress, call: string): FakeServer {
    this.calls.push(`${address.key} ${call}`);
    const name = call.split(':')[0];
    if (this.failing.has(name)) throw new Error(`${name} failed on ${address.key}`);
    return this.reach(address, name);
  }
}
