import { Injectable } from '@nestjs/common';
import { Connection, ResultSetHeader, createConnection } from 'mysql2/promise';
import { AppConfig, Credentials } from '../../config/app-config';
import { ReplicaStatus, replicaStatusFromRow } from './replica-status';
import {
  EpochManager,
  EpochRecord,
  GtidStart,
  PrimaryHeartbeat,
  RecordedEpoch,
  ReplicationSettings,
  SemiSyncRole,
  ServerAddress,
  ServerProbe,
} from './server-probe';

/** Control statements (STOP SLAVE, RESET SLAVE ALL, read_only) are quick on a healthy server. */
const CONTROL_TIMEOUT_MS = 10_000;
/** What a re-pointed replica gets: see docs/concepts.md, "Topology: one primary, its standbys". */
const REPLICA_HEARTBEAT_PERIOD_S = 1;
const REPLICA_CONNECT_RETRY_S = 1;
/**
 * The epoch row is written on a new primary that may have no standby connected yet: with
 * semi-sync on, its commit waits for an acknowledgement until rpl_semi_sync_master_timeout
 * (10 s by default) before it goes on asynchronously.
 */
const EPOCH_WRITE_TIMEOUT_MS = 30_000;
const ER_DUP_ENTRY = 1062;
const ER_NO_SUCH_TABLE = 1146;

type Row = Record<string, unknown>;

/** Rejects when `work` takes longer than `ms`; the caller destroys the connection it used. */
function bounded<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * ServerProbe on mysql2 with the monitor's admin account (DB_ADMIN_USER). Heartbeats and
 * status reads reuse one connection per server, dropped at the first error so the next
 * probe reconnects; actions open their own connection.
 */
@Injectable()
export class MysqlServerProbe extends ServerProbe {
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly lostListeners: ((serverKey: string) => void)[] = [];
  private readonly admin: Credentials;
  private readonly timeoutMs: number;

  constructor(config: AppConfig) {
    super();
    this.admin = config.monitorAccount ?? { user: '', password: '' };
    this.timeoutMs = config.failover.heartbeatTimeoutMs;
  }

  async heartbeat(server: ServerAddress): Promise<PrimaryHeartbeat> {
    // Semi-sync first, then the position: every commit counted as unacknowledged is within that position.
    const semiSync = await this.probeQuery(
      server,
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_master_status', 'Rpl_semi_sync_master_no_tx')",
    );
    const [position] = await this.probeQuery(server, 'SELECT @@global.gtid_binlog_pos AS gtid');
    // read_only in a SELECT of its own: mixed into another query it can mislead.
    const [readOnly] = await this.probeQuery(server, 'SELECT @@global.read_only AS readOnly');
    const status = (name: string): string | undefined => {
      const row = semiSync.find((r) => String(r.Variable_name).toLowerCase() === name.toLowerCase());
      const value = row?.Value;
      return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
    };
    const noTx = status('Rpl_semi_sync_master_no_tx');
    return {
      gtidBinlogPosition: String((position?.gtid as string | null | undefined) ?? ''),
      readOnly: Number(readOnly?.readOnly) === 1,
      semiSyncActive: status('Rpl_semi_sync_master_status') === 'ON',
      ...(noTx === undefined ? {} : { semiSyncUnacknowledgedCommits: Number(noTx) }),
    };
  }

  async replicaStatus(server: ServerAddress): Promise<ReplicaStatus | null> {
    const rows = await this.probeQuery(server, 'SHOW ALL SLAVES STATUS');
    const row = rows.find((candidate) => (candidate.Connection_name ?? '') === '');
    return row ? replicaStatusFromRow(row) : null;
  }

  async readOnly(server: ServerAddress): Promise<boolean> {
    const [row] = await this.probeQuery(server, 'SELECT @@global.read_only AS readOnly');
    return Number(row?.readOnly) === 1;
  }

  /** Connects within the heartbeat timeout (a dead server answers fast); the statement may wait for running commits. */
  async setReadOnly(server: ServerAddress, on: boolean): Promise<void> {
    await this.control(server, CONTROL_TIMEOUT_MS, [`SET GLOBAL read_only = ${on ? 'ON' : 'OFF'}`]);
  }

  async killConnectionsOf(server: ServerAddress, user: string): Promise<number> {
    return this.withControlConnection(server, this.timeoutMs, async (connection) => {
      const [rows] = await connection.query(
        'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()',
        [user],
      );
      let killed = 0;
      for (const { id } of rows as Row[]) {
        // A connection may end between the SELECT and the KILL: "unknown thread" is fine.
        await connection.query(`KILL CONNECTION ${Number(id)}`).then(
          () => killed++,
          () => undefined,
        );
      }
      return killed;
    });
  }

  async stopReplicaIo(server: ServerAddress): Promise<void> {
    await this.control(server, CONTROL_TIMEOUT_MS, ['STOP SLAVE IO_THREAD']);
  }

  async startReplicaIo(server: ServerAddress): Promise<void> {
    await this.control(server, CONTROL_TIMEOUT_MS, ['START SLAVE IO_THREAD']);
  }

  async startReplica(server: ServerAddress): Promise<void> {
    await this.control(server, CONTROL_TIMEOUT_MS, ['START SLAVE']);
  }

  async waitForApplied(server: ServerAddress, position: string, timeoutMs: number): Promise<boolean> {
    const seconds = Math.max(timeoutMs / 1000, 0.001);
    return this.withControlConnection(server, timeoutMs + CONTROL_TIMEOUT_MS, async (connection) => {
      const [rows] = await connection.query('SELECT MASTER_GTID_WAIT(?, ?) AS result', [position, seconds]);
      return Number((rows as Row[])[0]?.result) === 0;
    });
  }

  async detachReplica(server: ServerAddress): Promise<void> {
    await this.control(server, CONTROL_TIMEOUT_MS, ['STOP SLAVE', 'RESET SLAVE ALL']);
  }

  async replicateFrom(
    server: ServerAddress,
    source: ServerAddress,
    account: Credentials,
    from: GtidStart = 'slave_pos',
  ): Promise<void> {
    await this.withControlConnection(server, CONTROL_TIMEOUT_MS, async (connection) => {
      await connection.query('STOP SLAVE');
      await connection.query(
        // Naming a new host resets the heartbeat period to slave_net_timeout / 2 (30 s) and a
        // new channel retries every 60 s: both set again, or the next hung primary goes unseen for a minute.
        `CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, ` +
          `MASTER_USE_GTID = ${from === 'current_pos' ? 'current_pos' : 'slave_pos'}, MASTER_HEARTBEAT_PERIOD = ?, MASTER_CONNECT_RETRY = ?`,
        [source.host, source.port, account.user, account.password, REPLICA_HEARTBEAT_PERIOD_S, REPLICA_CONNECT_RETRY_S],
      );
      await connection.query('START SLAVE');
    });
  }

  async replicationSettings(server: ServerAddress): Promise<ReplicationSettings> {
    const [readOnly] = await this.probeQuery(server, 'SELECT @@global.read_only AS readOnly');
    const [semiSync] = await this.probeQuery(
      server,
      'SELECT @@global.rpl_semi_sync_master_enabled AS master, @@global.rpl_semi_sync_slave_enabled AS slave',
    );
    const [slaveStatus] = await this.probeQuery(server, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_slave_status'");
    return {
      readOnly: Number(readOnly?.readOnly) === 1,
      semiSyncMasterEnabled: Number(semiSync?.master) === 1,
      semiSyncSlaveEnabled: Number(semiSync?.slave) === 1,
      semiSyncSlaveActive: String((slaveStatus?.Value as string | undefined) ?? 'OFF') === 'ON',
    };
  }

  async setSemiSync(server: ServerAddress, role: SemiSyncRole, on: boolean): Promise<void> {
    const variable = role === 'master' ? 'rpl_semi_sync_master_enabled' : 'rpl_semi_sync_slave_enabled';
    await this.control(server, CONTROL_TIMEOUT_MS, [`SET GLOBAL ${variable} = ${on ? 'ON' : 'OFF'}`]);
  }

  async restartReplicaIo(server: ServerAddress): Promise<void> {
    await this.control(server, CONTROL_TIMEOUT_MS, ['STOP SLAVE IO_THREAD', 'START SLAVE IO_THREAD']);
  }

  async setHeartbeatPeriod(server: ServerAddress, seconds: number): Promise<void> {
    await this.withControlConnection(server, CONTROL_TIMEOUT_MS, async (connection) => {
      await connection.query('STOP SLAVE');
      await connection.query('CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD = ?', [seconds]);
      await connection.query('START SLAVE');
    });
  }

  async recordEpoch(server: ServerAddress, record: EpochRecord): Promise<void> {
    const table = epochTable(server);
    const inserted = await this.withControlConnection(server, EPOCH_WRITE_TIMEOUT_MS, async (connection) => {
      // Never below what the server holds: a late writer's lower (or equal) epoch is refused, not added.
      const [result] = await connection.query(
        `INSERT INTO ${table} (epoch, primaryServer, managedBy, writer, recordedAt) ` +
          `SELECT ?, ?, ?, ?, UTC_TIMESTAMP(3) FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE epoch >= ?)`,
        [record.epoch, record.primary, record.managedBy, record.writer, record.epoch],
      );
      return (result as ResultSetHeader).affectedRows;
    }).catch((error: unknown) => {
      if (errnoOf(error) === ER_DUP_ENTRY) return 0; // another writer of the same epoch got there first
      throw error;
    });
    if (inserted > 0) return;
    const newest = await this.recordedEpoch(server).catch(() => null);
    throw new Error(
      `${server.key} already records epoch ${newest ? describeRecorded(newest) : `${record.epoch} or higher`}: epoch ${record.epoch} not recorded`,
    );
  }

  async recordedEpoch(server: ServerAddress): Promise<RecordedEpoch | null> {
    try {
      const [row] = await this.probeQuery(
        server,
        `SELECT epoch, primaryServer, managedBy, writer, CAST(recordedAt AS CHAR) AS recordedAt ` +
          `FROM ${epochTable(server)} ORDER BY epoch DESC LIMIT 1`,
      );
      if (!row) return null;
      return {
        epoch: Number(row.epoch),
        primary: String(row.primaryServer),
        managedBy: String(row.managedBy) as EpochManager,
        writer: typeof row.writer === 'string' ? row.writer : null,
        recordedAt: `${String(row.recordedAt).replace(' ', 'T')}Z`,
      };
    } catch (error) {
      // A database before ha-5 (or not migrated yet) records nothing.
      if (errnoOf(error) === ER_NO_SUCH_TABLE) return null;
      throw error;
    }
  }

  async globalPrivilegesOf(server: ServerAddress, account: Credentials): Promise<string[]> {
    const connection = await createConnection({
      host: server.host,
      port: server.port,
      user: account.user,
      password: account.password,
      connectTimeout: this.timeoutMs,
    });
    try {
      const [rows] = await bounded(this.timeoutMs, 'SHOW GRANTS', connection.query('SHOW GRANTS'));
      return (rows as Row[])
        .map((row) => String(Object.values(row)[0]))
        .filter((grant) => / ON \*\.\* TO /i.test(grant));
    } finally {
      connection.destroy();
    }
  }

  async close(): Promise<void> {
    const pending = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(
      pending.map((connection) =>
        connection.then(
          (c) => c.destroy(),
          () => undefined,
        ),
      ),
    );
  }

  override onConnectionLost(listener: (serverKey: string) => void): void {
    this.lostListeners.push(listener);
  }

  /** A cached connection the server closed is dropped at once (the next probe connects afresh) and reported. */
  private watch(key: string, pending: Promise<Connection>): void {
    pending.then(
      (connection) => {
        const lost = () => {
          if (this.connections.get(key) !== pending) return; // dropped by us already
          this.drop(key, pending);
          for (const listener of this.lostListeners) listener(key);
        };
        connection.once('end', lost);
        connection.on('error', lost);
      },
      () => undefined,
    );
  }

  /** A read on the server's cached monitor connection; any error drops the connection. */
  private async probeQuery(server: ServerAddress, sql: string): Promise<Row[]> {
    let connection: Promise<Connection> | undefined = this.connections.get(server.key);
    if (!connection) {
      connection = this.connect(server, this.timeoutMs);
      this.connections.set(server.key, connection);
      this.watch(server.key, connection);
    }
    try {
      const open = await bounded(this.timeoutMs, `connect to ${server.key}`, connection);
      const [rows] = await bounded(this.timeoutMs, `${sql} on ${server.key}`, open.query(sql));
      return rows as Row[];
    } catch (error) {
      this.drop(server.key, connection);
      throw error;
    }
  }

  private drop(key: string, connection: Promise<Connection>): void {
    if (this.connections.get(key) === connection) this.connections.delete(key);
    connection.then(
      (c) => c.destroy(),
      () => undefined,
    );
  }

  private connect(server: ServerAddress, timeoutMs: number): Promise<Connection> {
    return createConnection({
      host: server.host,
      port: server.port,
      user: this.admin.user,
      password: this.admin.password,
      connectTimeout: timeoutMs,
    });
  }

  private async control(server: ServerAddress, timeoutMs: number, statements: string[]): Promise<void> {
    await this.withControlConnection(server, timeoutMs, async (connection) => {
      for (const sql of statements) await connection.query(sql);
    });
  }

  /**
   * A fresh admin connection for actions. The server bounds its own lock waits
   * (lock_wait_timeout) to the same time as the client, so a statement given up on here
   * does not stay queued there and take effect later (a read_only = ON after its OFF).
   */
  private async withControlConnection<T>(
    server: ServerAddress,
    timeoutMs: number,
    work: (connection: Connection) => Promise<T>,
  ): Promise<T> {
    const pending = this.connect(server, Math.min(this.timeoutMs, timeoutMs));
    const lockWaitSeconds = Math.max(1, Math.floor(timeoutMs / 1000) - 1);
    try {
      return await bounded(
        timeoutMs,
        `admin statement on ${server.key}`,
        pending.then(async (connection) => {
          await connection.query(`SET SESSION lock_wait_timeout = ${lockWaitSeconds}`);
          return work(connection);
        }),
      );
    } finally {
      pending.then(
        (c) => c.destroy(),
        () => undefined,
      );
    }
  }
}

/** logic_ha_epoch in the app's database, qualified: admin connections select no database. */
function epochTable(server: ServerAddress): string {
  if (!server.database) throw new Error(`${server.key}: no database given for logic_ha_epoch`);
  return `\`${server.database.replace(/`/g, '``')}\`.\`logic_ha_epoch\``;
}

function errnoOf(error: unknown): number | undefined {
  return (error as { errno?: number } | null)?.errno;
}

function describeRecorded(recorded: RecordedEpoch): string {
  return `${recorded.epoch} (primary ${recorded.primary}, ${recorded.managedBy}${recorded.writer ? `, written by ${recorded.writer}` : ''}, at ${recorded.recordedAt})`;
}
