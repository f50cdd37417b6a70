import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLogicSolutionScripts } from '../support/logic-solution-scripts.contract';

describe('logic-solution install scripts on SQLite', () => {
  const directory = mkdtempSync(join(tmpdir(), 'logic-ha-logic-solution-'));
  let counter = 0;
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  describeLogicSolutionScripts('sqlite', () => ({
    freshDatabase: async () => ({ type: 'sqlite', sqlitePath: join(directory, `db-${++counter}.sqlite`) }),
  }));
});
