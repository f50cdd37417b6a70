import type { MysqlEndpoint } from '../../../src/config/mysql-url';
import { MariaDbServer } from './mariadb-server';

export const REPLICATION_USER = 'repl';
export const REPLICATION_PASSWORD = 'repl-sandbox-password';
const CATCH_UP_TIMEOUT_S = 20;

export interface ReplicatedPair {
  primary: MariaDbServer;
  replica: MariaDbServer;
  stop(): Promise<void>;
}

/**
 * A GTID-replicated primary + replica on loopback. The replica runs read_only with
 * log_slave_updates (so it can be promoted with a complete binlog) and a 1 s master
 * heartbeat (so it notices a silent primary quickly).
 */
export async function startReplicatedPair(): Promise<ReplicatedPair> {
  const [primary, replica] = await Promise.all([
    MariaDbServer.start({ serverId: 1 }),
    MariaDbServer.start({ serverId: 2, readOnly: true }),
  ]);
  try {
    await primary.query(
      `CREATE USER '${REPLICATION_USER}'@'127.0.0.1' IDENTIFIED BY '${REPLICATION_PASSWORD}';
       GRANT REPLICATION SLAVE ON *.* TO '${REPLICATION_USER}'@'127.0.0.1';`,
    );
    await replica.query(
      `SET GLOBAL gtid_slave_pos = '';
       CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?,
         MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1, MASTER_HEARTBEAT_PERIOD = 1;
       START SLAVE;`,
      [primary.port, REPLICATION_USER, REPLICATION_PASSWORD],
    );
    await waitForReplicaCaughtUp(primary, replica);
  } catch (error) {
    await Promise.all([primary.stop(), replica.stop()]);
    throw error;
  }
  return { primary, replica, stop: () => Promise.all([replica.stop(), primary.stop()]).then(() => undefined) };
}

/** Creates the app database and account on the primary and waits until the replica has them too. */
export async function createAppDatabase(pair: ReplicatedPair, database: string, user: string, password: string) {
  const primary = await pair.primary.createDatabaseWithUser(database, user, password);
  await waitForReplicaCaughtUp(pair.primary, pair.replica);
  const replica: MysqlEndpoint = { ...primary, host: pair.replica.host, port: pair.replica.port };
  return { primary, replica };
}

interface SlaveStatus {
  Slave_IO_Running: string;
  Slave_SQL_Running: string;
  Last_IO_Error: string;
  Last_SQL_Error: string;
}

/** Waits until the replica has applied everything the primary has written so far. */
export async function waitForReplicaCaughtUp(primary: MariaDbServer, replica: MariaDbServer): Promise<void> {
  const [{ position }] = await primary.query<{ position: string }[]>('SELECT @@global.gtid_binlog_pos AS position');
  // MASTER_GTID_WAIT('') returns at once: an empty position says nothing about being caught up.
  if (!position) throw new Error('the primary reports an empty GTID position; nothing to wait for is a bug here');
  const [{ result }] = await replica.query<{ result: number | null }[]>('SELECT MASTER_GTID_WAIT(?, ?) AS result', [
    position,
    CATCH_UP_TIMEOUT_S,
  ]);
  if (result !== 0) {
    const [status] = await replica.query<SlaveStatus[]>('SHOW SLAVE STATUS');
    throw new Error(
      `replica did not reach ${position} within ${CATCH_UP_TIMEOUT_S} s: IO=${status?.Slave_IO_Running} ` +
        `SQL=${status?.Slave_SQL_Running} ${status?.Last_IO_Error ?? ''} ${status?.Last_SQL_Error ?? ''}`,
    );
  }
}
