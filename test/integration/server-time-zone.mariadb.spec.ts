import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options.factory';
import { serverUtcOffsetMinutes, timeZoneWarning } from '../../src/database/server-time-zone';
import { MariaDbServer } from '../support/mariadb';

/** The start-up check asks a real server (its SQL once broke every start: `offset` is reserved on MariaDB). */
describe.each([
  ['+00:00', 0],
  ['+08:00', 480],
])('the database server time zone check on MariaDB with default-time-zone=%s', (zone, minutes) => {
  let server: MariaDbServer;
  let ds: DataSource;
  beforeAll(async () => {
    server = await MariaDbServer.start({ serverId: 77, extraArgs: [`--default-time-zone=${zone}`] });
    const primary = await server.createDatabaseWithUser('tz_check', 'app', 'app-password');
    const options = buildDataSourceOptions({
      database: { type: 'mysql', primary, standbys: [], connectTimeoutMs: 5000, poolSize: 1 },
      runMigrationsOnInit: false,
    });
    ds = await new DataSource({ ...options, logging: false }).initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await server?.stop();
  });

  it(`reads the offset (${minutes} min) and warns only when it is not UTC`, async () => {
    const offset = await serverUtcOffsetMinutes(ds);
    expect(offset).toBe(minutes);
    expect(timeZoneWarning(offset) === null).toBe(minutes === 0);
  });
});
