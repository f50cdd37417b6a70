import { MariaDbServer } from '../support/mariadb';
import { describeLogicSolutionScripts } from '../support/logic-solution-scripts.contract';

describe('logic-solution install scripts on MariaDB', () => {
  let server: MariaDbServer;
  let counter = 0;
  beforeAll(async () => {
    server = await MariaDbServer.start({ serverId: 71 });
  });
  afterAll(() => server?.stop());

  describeLogicSolutionScripts('mysql', () => ({
    freshDatabase: async () => ({
      type: 'mysql',
      primary: await server.createDatabaseWithUser(`logic_solution_${++counter}`, 'app', 'app-password'),
      standbys: [],
      connectTimeoutMs: 5000,
      poolSize: 5,
    }),
  }));
});
