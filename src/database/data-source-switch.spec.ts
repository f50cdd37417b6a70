import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { MysqlEndpoint } from '../config/mysql-url';
import { DataSourceSwitch } from './data-source-switch';

/** A data source that opens when asked and records where: enough for the switch's ordering. */
function fakeDataSource() {
  const opened: number[] = [];
  const source = {
    isInitialized: false,
    options: {},
    driver: { options: {} },
    async initialize() {
      opened.push((source.options as { port: number }).port);
      source.isInitialized = true;
    },
    async destroy() {
      source.isInitialized = false;
    },
  };
  return { source: source as unknown as DataSource, opened };
}

const endpoint = (port: number): MysqlEndpoint => ({
  host: '127.0.0.1',
  port,
  user: 'app',
  password: 'pw',
  database: 'db',
});

describe('DataSourceSwitch ordering', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('stays flagged as switching when a close was queued behind an open', async () => {
    const { source } = fakeDataSource();
    const switcher = new DataSourceSwitch(source);
    const opening = switcher.open(endpoint(1));
    const closing = switcher.close({ abandon: true });
    await opening;
    expect(switcher.inProgress).toBe(true);
    await closing;
    expect(switcher.inProgress).toBe(true);
    await switcher.open(endpoint(2));
    expect(switcher.inProgress).toBe(false);
  });

  it('resolves a target given as a function when the open runs, not when it was asked', async () => {
    const { source, opened } = fakeDataSource();
    const switcher = new DataSourceSwitch(source);
    let primary = 1;
    const closing = switcher.close({ abandon: true });
    const opening = switcher.open(() => endpoint(primary));
    primary = 2; // a failover moved the primary while the open waited its turn
    await Promise.all([closing, opening]);
    expect(opened).toEqual([2]);
  });
});
