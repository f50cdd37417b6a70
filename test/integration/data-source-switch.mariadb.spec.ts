import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { MysqlDatabaseConfig } from '../../src/config/app-config';
import type { MysqlEndpoint } from '../../src/config/mysql-url';
import { buildDataSourceOptions } from '../../src/database/data-source-options.factory';
import { DataSourceSwitch } from '../../src/database/data-source-switch';
import { LogicInstanceEntity } from '../../src/instances/entities/logic-instance.entity';
import { MariaDbServer } from '../support/mariadb';
import { ENTITIES } from '../../src/entities';

jest.setTimeout(60_000);

/**
 * The app's data source moved between two real servers the way a failover moves it: the
 * old server dies (or hangs) with queries in flight, the pool is closed, reopened on the
 * other one, and a repository taken before the move keeps working.
 */
describe('DataSourceSwitch on real MariaDB servers', () => {
  let servers: MariaDbServer[];
  let endpoints: MysqlEndpoint[];

  beforeAll(async () => {
    Logger.overrideLogger(false);
    servers = await Promise.all([MariaDbServer.start({ serverId: 51 }), MariaDbServer.start({ serverId: 52 })]);
    endpoints = await Promise.all(
      servers.map((server) => server.createDatabaseWithUser('logic_ha', 'logic_ha', 'switch-pw')),
    );
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  async function openOn(endpoint: MysqlEndpoint): Promise<DataSource> {
    const database: MysqlDatabaseConfig = {
      type: 'mysql',
      primary: endpoint,
      standbys: [],
      connectTimeoutMs: 1000,
      poolSize: 4,
    };
    const dataSource = new DataSource(
      buildDataSourceOptions({ database, runMigrationsOnInit: true, entities: ENTITIES }),
    );
    return dataSource.initialize();
  }

  // The first case kills server 0 and moves to 1; the second restarts 0, hangs 1 and moves back to 0.
  // A failover abandons the pool at once; a polite close waits, then cuts what hangs.
  it.each([
    ['killed (kill -9)', 0, (server: MariaDbServer) => server.kill(), false],
    ['hung (SIGSTOP)', 1, async (server: MariaDbServer) => server.pause(), false],
    ['hung (SIGSTOP), pool abandoned', 0, async (server: MariaDbServer) => server.pause(), true],
  ])(
    'moves from a server %s with queries in flight to the other, and the same repository works there',
    async (_, from, fail, abandon) => {
      const to = 1 - from;
      if (from === 1) await servers[0].restart();
      if (abandon) servers[1].resume();
      const dataSource = await openOn(endpoints[from]);
      const repository = dataSource.getRepository(LogicInstanceEntity);
      const inFlight = Array.from({ length: 3 }, () =>
        dataSource.query('SELECT SLEEP(20)').then(
          () => 'answered',
          () => 'failed',
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      await fail(servers[from]);
      const switcher = new DataSourceSwitch(dataSource);
      await switcher.close({ abandon });
      expect(dataSource.isInitialized).toBe(false);
      expect(switcher.inProgress).toBe(true);
      // While closed, queries fail at once instead of reaching anything.
      await expect(repository.count()).rejects.toThrow();
      await switcher.open(endpoints[to]);
      expect(switcher.inProgress).toBe(false);
      await repository.insert({
        id: `row-${from}-${abandon}`,
        logicId: 'switch',
        bizId: `b${from}`,
        isRunning: 0,
        isOver: 0,
        success: 0,
      } as never);
      const [{ port }] = await dataSource.query('SELECT @@port AS port');
      expect(Number(port)).toBe(servers[to].port);
      expect(await repository.countBy({ logicId: 'switch' })).toBeGreaterThanOrEqual(1);
      // The queries caught in the dead or hung server ended; none hangs on.
      expect(await Promise.all(inFlight)).toEqual(['failed', 'failed', 'failed']);
      if (from === 1 && !abandon) servers[1].resume();
      await dataSource.destroy();
    },
  );
});
