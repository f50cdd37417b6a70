import { Logger } from '@nestjs/common';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { isDatabaseUnavailable } from '../common/errors/database-unavailable';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import type { MigrationsConfig } from '../config/app-config';
import { buildDataSourceOptions } from './data-source-options.factory';
import {
  START_CONNECT_TIMEOUT_MS,
  isConnectionFailure,
  openAndMigrateOrDefer,
  owedStartupMigration,
} from './deferred-start';

/** The database layer knows no feature's entities: one of its own. */
@Entity('deferred_start_probe')
class ProbeEntity {
  @PrimaryColumn()
  id!: number;

  @Column()
  name!: string;
}

const MIGRATIONS: MigrationsConfig = { lockTimeoutMs: 1000, baselineOnStart: false };

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function mysqlDataSource(port: number, connectTimeoutMs = 10_000): DataSource {
  return new DataSource(
    buildDataSourceOptions({
      database: {
        type: 'mysql',
        primary: { host: '127.0.0.1', port, user: 'app', password: 'pw', database: 'logic_ha' },
        standbys: [],
        connectTimeoutMs,
        poolSize: 2,
      },
      runMigrationsOnInit: false,
      entities: [ProbeEntity],
    }),
  );
}

describe('openAndMigrateOrDefer (the service start on MySQL)', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('returns the data source closed, its migration owed, when the primary refuses connections', async () => {
    const dataSource = mysqlDataSource(await closedPort());
    const opened = await openAndMigrateOrDefer(dataSource, MIGRATIONS);
    expect(opened).toBe(dataSource);
    expect(dataSource.isInitialized).toBe(false);
    expect(owedStartupMigration(dataSource)).toBe(MIGRATIONS);
    // Metadata is there, so a repository fails as "not connected" (503), not "no metadata" (500).
    const failure = await dataSource
      .getRepository(ProbeEntity)
      .count()
      .catch((error: unknown) => error);
    expect(isDatabaseUnavailable(failure)).toBe(true);
  });

  describe('with a hung primary (accepts the connection, never answers)', () => {
    let server: Server;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      server = createServer((socket) => sockets.add(socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    it(`gives up at its own connect timeout (${START_CONNECT_TIMEOUT_MS} ms), not DB_CONNECT_TIMEOUT_MS, and starts without it`, async () => {
      // DB_CONNECT_TIMEOUT_MS of 10 minutes, far past the test's own timeout: only the start's
      // shorter one lets this call come back at all.
      const dataSource = mysqlDataSource((server.address() as AddressInfo).port, 600_000);
      await expect(openAndMigrateOrDefer(dataSource, MIGRATIONS)).resolves.toBe(dataSource);
      expect(dataSource.isInitialized).toBe(false);
      expect(owedStartupMigration(dataSource)).toBe(MIGRATIONS);
      // The configured timeout is left for the later opens.
      expect(dataSource.options).toMatchObject({ connectTimeout: 600_000 });
    });
  });

  it('tells a connection failure from a decision', () => {
    expect(isConnectionFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionFailure(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }))).toBe(true);
    expect(isConnectionFailure(new DomainError('MIGRATION_LOCK_TIMEOUT', ErrorKind.Unavailable, 'held'))).toBe(false);
    expect(isConnectionFailure(new DomainError('SCHEMA_NOT_BASELINED', ErrorKind.Conflict, 'no history'))).toBe(false);
    expect(
      isConnectionFailure(Object.assign(new Error('Access denied'), { code: 'ER_ACCESS_DENIED_ERROR', errno: 1045 })),
    ).toBe(false);
  });

  it('never defers on SQLite: its errors stay fatal', async () => {
    const dataSource = new DataSource(
      buildDataSourceOptions({
        database: { type: 'sqlite', sqlitePath: '/nonexistent-dir/x/logic-ha.sqlite' },
        runMigrationsOnInit: false,
      }),
    );
    await expect(openAndMigrateOrDefer(dataSource, MIGRATIONS)).rejects.toThrow();
    expect(owedStartupMigration(dataSource)).toBeUndefined();
  });
});
