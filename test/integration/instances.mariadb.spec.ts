import { MariaDbServer } from '../support/mariadb';
import { describeInstanceContract } from '../support/instance-contract';

describe('instances on MariaDB', () => {
  let server: MariaDbServer;
  beforeAll(async () => {
    server = await MariaDbServer.start({ serverId: 51 });
  });
  afterAll(() => server?.stop());

  describeInstanceContract(async () => ({
    type: 'mysql',
    primary: await server.createDatabaseWithUser('instances', 'app', 'app-password'),
    standbys: [],
    connectTimeoutMs: 5000,
    poolSize: 5,
  }));
});
