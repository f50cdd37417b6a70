import { MariaDbServer } from '../support/mariadb';
import { describeWebhookDeliveryContract } from '../support/webhook-delivery-contract';

describe('webhook deliveries on MariaDB', () => {
  let server: MariaDbServer;
  let counter = 0;
  beforeAll(async () => {
    server = await MariaDbServer.start({ serverId: 173 });
  });
  afterAll(() => server?.stop());

  describeWebhookDeliveryContract(async () => ({
    type: 'mysql',
    primary: await server.createDatabaseWithUser(`webhooks_${++counter}`, 'app', 'app-password'),
    standbys: [],
    connectTimeoutMs: 5000,
    poolSize: 5,
  }));
});
