import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeMigrationContract } from '../support/migration-contract';

describe('schema history on SQLite', () => {
  const directory = mkdtempSync(join(tmpdir(), 'logic-ha-migrations-'));
  let counter = 0;
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  describeMigrationContract(() => ({
    freshDatabase: async () => ({ type: 'sqlite', sqlitePath: join(directory, `db-${++counter}.sqlite`) }),
  }));
});
