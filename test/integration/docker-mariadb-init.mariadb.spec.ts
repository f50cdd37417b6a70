import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { MariaDbServer, findMariaDbBinary, waitForReplicaCaughtUp } from '../support/mariadb';

const run = promisify(execFile);
const DOCKER_MARIADB = join(__dirname, '..', '..', 'docker', 'mariadb');

async function grantsOf(server: MariaDbServer, account: string): Promise<string> {
  const rows = await server.query<Record<string, string>[]>(`SHOW GRANTS FOR ${account}`);
  return rows.map((row) => Object.values(row)[0]).join('\n');
}

/** The compose file's MariaDB init files, run against private servers instead of containers. */
describe('docker/mariadb init files', () => {
  let primary: MariaDbServer;
  let replica: MariaDbServer;

  beforeAll(async () => {
    [primary, replica] = await Promise.all([
      MariaDbServer.start({ serverId: 41 }),
      MariaDbServer.start({ serverId: 42, readOnly: true }),
    ]);
    const usersSql = readFileSync(join(DOCKER_MARIADB, 'users.sql'), 'utf8');
    await Promise.all([primary.query(usersSql), replica.query(usersSql)]);
  });
  afterAll(async () => {
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it('users.sql gives the app account its database and no global privilege', async () => {
    const grants = await grantsOf(primary, "'logic_ha'@'%'");
    expect(grants).toMatch(/GRANT ALL PRIVILEGES ON `logic_ha`\.\*/);
    expect(grants).not.toMatch(/SUPER|READ_ONLY ADMIN|READ ONLY ADMIN|ON \*\.\* TO .* WITH|ALL PRIVILEGES ON \*\.\*/);
  });

  it('users.sql lets the monitor fence a server (READ_ONLY ADMIN) and read replication state', async () => {
    const grants = await grantsOf(primary, "'monitor'@'%'");
    expect(grants).toMatch(/READ_ONLY ADMIN/);
    expect(grants).toMatch(/REPLICATION SLAVE ADMIN/);
  });

  it('replica-init.sh makes the second server replicate the first', async () => {
    await run('bash', [join(DOCKER_MARIADB, 'replica-init.sh')], {
      env: {
        PATH: `${process.env.PATH}:${join(findMariaDbBinary('mariadb'), '..')}`,
        PRIMARY_HOST: '127.0.0.1',
        PRIMARY_PORT: String(primary.port),
        REPLICATION_PASSWORD: 'repl-password-change-me',
        MARIADB_ROOT_PASSWORD: '',
        LOCAL_SERVER_ARGS: `-h127.0.0.1 -P${replica.port}`,
        PRIMARY_WAIT_ATTEMPTS: '3',
      },
    });
    const app = await createConnection({
      host: '127.0.0.1', port: primary.port, user: 'logic_ha', password: 'app-password-change-me', database: 'logic_ha',
    });
    await app.query('CREATE TABLE ping (id int primary key)');
    await app.query('INSERT INTO ping VALUES (42)');
    await app.end();
    await waitForReplicaCaughtUp(primary, replica);
    expect(await replica.query('SELECT id FROM logic_ha.ping')).toEqual([{ id: 42 }]);
  });
});
