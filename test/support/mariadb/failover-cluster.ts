import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MariaDbServer } from './mariadb-server';
import { waitForReplicaCaughtUp } from './replicated-pair';

/** The accounts docker/mariadb/users.sql creates, so these tests run the shipped grants. */
export const DEPLOYMENT = {
  database: 'logic_ha',
  app: { user: 'logic_ha', password: 'app-password-change-me' },
  monitor: { user: 'monitor', password: 'monitor-password-change-me' },
  replication: { user: 'repl', password: 'repl-password-change-me' },
};

const USERS_SQL = join(__dirname, '..', '..', '..', 'docker', 'mariadb', 'users.sql');
/** Long enough never to fire on loopback; a primary that lost every standby falls back to async after it. */
const SEMI_SYNC_TIMEOUT_MS = 5000;

export interface FailoverCluster {
  primary: MariaDbServer;
  replicas: MariaDbServer[];
  /** Environment for logic-ha: the app account on every server, the monitor and replication accounts. */
  env(options?: { primaryPort?: number }): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A primary and `replicas` GTID replicas of it, every server able to serve as either role
 * (binlog, log_slave_updates, semi-sync master and slave plugins on), with the deployment
 * accounts from docker/mariadb/users.sql. Semi-sync (AFTER_SYNC) makes a commit wait until
 * a replica has the transaction, so a primary killed after acknowledging a write cannot
 * take it with it: the setting docs/concepts.md asks operators to use.
 */
export async function startFailoverCluster(options: {
  replicas: number;
  serverIdBase: number;
  semiSync?: boolean;
}): Promise<FailoverCluster> {
  const semiSync = options.semiSync ?? true;
  const extraArgs = semiSync
    ? [
        '--rpl-semi-sync-master-enabled=ON',
        '--rpl-semi-sync-slave-enabled=ON',
        '--rpl-semi-sync-master-wait-point=AFTER_SYNC',
        `--rpl-semi-sync-master-timeout=${SEMI_SYNC_TIMEOUT_MS}`,
      ]
    : [];
  const servers = await Promise.all(
    Array.from({ length: options.replicas + 1 }, (_, index) =>
      MariaDbServer.start({ serverId: options.serverIdBase + index, readOnly: index > 0, extraArgs }),
    ),
  );
  const [primary, ...replicas] = servers;
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    await primary.query(readFileSync(USERS_SQL, 'utf8'));
    for (const replica of replicas) {
      await replica.query(
        `SET GLOBAL gtid_slave_pos = '';
         CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?,
           MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1, MASTER_HEARTBEAT_PERIOD = 1;
         START SLAVE;`,
        [primary.port, DEPLOYMENT.replication.user, DEPLOYMENT.replication.password],
      );
    }
    await Promise.all(replicas.map((replica) => waitForReplicaCaughtUp(primary, replica)));
  } catch (error) {
    await stop();
    throw error;
  }
  const url = (port: number) =>
    `mysql://${DEPLOYMENT.app.user}:${DEPLOYMENT.app.password}@127.0.0.1:${port}/${DEPLOYMENT.database}`;
  return {
    primary,
    replicas,
    env: (envOptions = {}) => ({
      DB_TYPE: 'mysql',
      DB_PRIMARY_URL: url(envOptions.primaryPort ?? primary.port),
      DB_STANDBY_URLS: replicas.map((replica) => url(replica.port)).join(','),
      DB_ADMIN_USER: DEPLOYMENT.monitor.user,
      DB_ADMIN_PASSWORD: DEPLOYMENT.monitor.password,
      DB_REPLICATION_USER: DEPLOYMENT.replication.user,
      DB_REPLICATION_PASSWORD: DEPLOYMENT.replication.password,
    }),
    stop,
  };
}
