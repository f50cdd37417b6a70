import { Injectable } from '@nestjs/common';
import { type Connection, createConnection } from 'mysql2/promise';
import { AppConfig, type Credentials } from '../../config/app-config';
import type { ServerAddress } from '../probes/server-probe';
import { type GtidState, RejoinProbe, type ReplicationSetup } from './rejoin-probe';

/** Control statements are quick on a healthy server; RESET MASTER deletes files and may take a little longer. */
const STATEMENT_TIMEOUT_MS = 30_000;
const CONNECT_RETRY_S = 1;

type Row = Record<string, unknown>;

/** RejoinProbe on mysql2, one short-lived connection per call, with the monitor's admin account. */
@Injectable()
export class MysqlRejoinProbe extends RejoinProbe {
  private readonly admin: Credentials;
  private readonly connectTimeoutMs: number;

  constructor(config: AppConfig) {
    super();
    this.admin = config.monitorAccount ?? { user: '', password: '' };
    this.connectTimeoutMs = Math.max(config.failover.heartbeatTimeoutMs, 2000);
  }

  async gtidState(server: ServerAddress): Promise<GtidState> {
    return this.with(server, async (connection) => {
      const [rows] = await connection.query(
        'SELECT @@global.gtid_binlog_pos AS binlogPos, @@global.gtid_binlog_state AS binlogState, @@global.gtid_slave_pos AS slavePos',
      );
      const row = (rows as Row[])[0] ?? {};
      const text = (value: unknown) => (typeof value === 'string' ? value : '');
      return { binlogPos: text(row.binlogPos), binlogState: text(row.binlogState), slavePos: text(row.slavePos) };
    });
  }

  async replicate(server: ServerAddress, setup: ReplicationSetup): Promise<void> {
    await this.with(server, async (connection) => {
      // Fenced it stays: read_only before it ever talks to the primary.
      await connection.query('SET GLOBAL read_only = ON');
      await connection.query('STOP SLAVE');
      if (setup.useGtid === 'slave_pos')
        await connection.query('SET GLOBAL gtid_slave_pos = ?', [setup.slavePos ?? '']);
      await connection.query(
        `CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, ` +
          `MASTER_USE_GTID = ${setup.useGtid === 'slave_pos' ? 'slave_pos' : 'current_pos'}, ` +
          `MASTER_HEARTBEAT_PERIOD = ?, MASTER_CONNECT_RETRY = ?`,
        [
          setup.source.host,
          setup.source.port,
          setup.account.user,
          setup.account.password,
          setup.heartbeatPeriodSeconds,
          CONNECT_RETRY_S,
        ],
      );
      await connection.query('START SLAVE');
    });
  }

  async resetForRebuild(server: ServerAddress): Promise<void> {
    await this.with(server, async (connection) => {
      await connection.query('STOP SLAVE');
      await connection.query('RESET SLAVE ALL');
      await connection.query('RESET MASTER');
    });
  }

  async binlogFiles(server: ServerAddress): Promise<string[]> {
    return this.with(server, async (connection) => {
      const [rows] = await connection.query('SHOW BINARY LOGS');
      return (rows as Row[]).map((row) => String(row.Log_name));
    });
  }

  private async with<T>(server: ServerAddress, work: (connection: Connection) => Promise<T>): Promise<T> {
    const connection = await createConnection({
      host: server.host,
      port: server.port,
      user: this.admin.user,
      password: this.admin.password,
      connectTimeout: this.connectTimeoutMs,
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work(connection),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`admin statement on ${server.key}: no answer within ${STATEMENT_TIMEOUT_MS} ms`)),
            STATEMENT_TIMEOUT_MS,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      connection.destroy();
    }
  }
}
