import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeInstanceContract } from '../support/instance-contract';

describe('instances on SQLite', () => {
  const directory = mkdtempSync(join(tmpdir(), 'logic-ha-instances-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  describeInstanceContract(async () => ({ type: 'sqlite', sqlitePath: join(directory, 'instances.sqlite') }));
});
