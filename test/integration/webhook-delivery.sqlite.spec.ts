import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWebhookDeliveryContract } from '../support/webhook-delivery-contract';

describe('webhook deliveries on SQLite', () => {
  const directory = mkdtempSync(join(tmpdir(), 'logic-ha-webhooks-'));
  let counter = 0;
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  describeWebhookDeliveryContract(async () => ({
    type: 'sqlite',
    sqlitePath: join(directory, `webhooks-${++counter}.sqlite`),
  }));
});
