import { MariaDbServer } from '../support/mariadb';
import { describeMigrationContract } from '../support/migration-contract';

describe('schema history on MariaDB', () => {
  let server: MariaDbServer;
  let counter = 0;
  beforeAll(async () => {
    server = await MariaDbServer.start({ serverId: 21 });
  });
  afterAll(() => server?.stop());

  describeMigrationContract(() => ({
    freshDatabase: async () => ({
      type: 'mysql',
      primary: await server.createDatabaseWithUser(`migrations_${++counter}`, 'app', 'app-password'),
      standbys: [],
      connectTimeoutMs: 5000,
      poolSize: 5,
    }),
  }));
});
