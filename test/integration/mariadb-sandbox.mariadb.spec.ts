import { existsSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import {
  MariaDbServer,
  type ReplicatedPair,
  createAppDatabase,
  startReplicatedPair,
  waitForReplicaCaughtUp,
} from '../support/mariadb';

describe('private MariaDB sandbox', () => {
  describe('single server', () => {
    let server: MariaDbServer;
    beforeAll(async () => {
      server = await MariaDbServer.start({ serverId: 11 });
    });
    afterAll(() => server?.stop());

    it('listens on a loopback port that is not the system server, with binlog and GTID strict mode on', async () => {
      const [row] = await server.query<Record<string, unknown>[]>(
        'SELECT @@port AS port, @@bind_address AS bind, @@log_bin AS logBin, @@gtid_strict_mode AS strict, @@binlog_format AS format',
      );
      expect(row).toEqual({ port: server.port, bind: '127.0.0.1', logBin: 1, strict: 1, format: 'ROW' });
      expect(server.port).not.toBe(3306);
    });

    it('gives the app account no global privileges', async () => {
      const endpoint = await server.createDatabaseWithUser('app_db', 'app', 'app-password');
      const rows = await server.query<Record<string, string>[]>("SHOW GRANTS FOR 'app'@'127.0.0.1'");
      const grants = rows.map((row) => Object.values(row)[0]).join('\n');
      expect(grants).toMatch(/GRANT USAGE ON \*\.\*/);
      expect(grants).not.toMatch(/SUPER|READ ONLY ADMIN|ALL PRIVILEGES ON \*\.\*/);
      const connection = await createConnection({ ...endpoint });
      await connection.query('CREATE TABLE t (id int primary key)');
      await connection.end();
    });
  });

  describe('removing a server', () => {
    it('deletes its datadir on stop and survives a kill -9 first', async () => {
      const server = await MariaDbServer.start({ serverId: 12 });
      const dir = server.baseDir;
      expect(existsSync(dir)).toBe(true);
      await server.kill();
      await expect(server.query('SELECT 1')).rejects.toThrow();
      await server.stop();
      expect(existsSync(dir)).toBe(false);
    });
  });

  describe('replicated pair', () => {
    let pair: ReplicatedPair;
    beforeAll(async () => {
      pair = await startReplicatedPair();
    });
    afterAll(() => pair?.stop());

    it('replicates with GTID from the primary', async () => {
      const [status] = await pair.replica.query<Record<string, unknown>[]>('SHOW SLAVE STATUS');
      expect(status).toMatchObject({
        Slave_IO_Running: 'Yes',
        Slave_SQL_Running: 'Yes',
        Master_Port: pair.primary.port,
        Using_Gtid: 'Slave_Pos',
      });
    });

    it('shows a row written on the primary on the replica', async () => {
      const { primary } = await createAppDatabase(pair, 'pair_db', 'app', 'app-password');
      const writer = await createConnection({ ...primary });
      await writer.query('CREATE TABLE note (id int primary key, body varchar(20))');
      await writer.query('INSERT INTO note VALUES (1, ?)', ['written on primary']);
      await writer.end();
      await waitForReplicaCaughtUp(pair.primary, pair.replica);
      const rows = await pair.replica.query<{ body: string }[]>('SELECT body FROM pair_db.note WHERE id = 1');
      expect(rows).toEqual([{ body: 'written on primary' }]);
    });

    it('refuses writes on the replica from the non-admin app account', async () => {
      const { replica } = await createAppDatabase(pair, 'pair_ro', 'app_ro', 'app-password');
      const connection = await createConnection({ ...replica });
      try {
        const [[readOnly]] = (await connection.query('SELECT @@global.read_only AS ro')) as unknown as [
          [{ ro: number }],
        ];
        expect(readOnly.ro).toBe(1);
        await expect(connection.query('CREATE TABLE should_fail (id int)')).rejects.toMatchObject({
          code: 'ER_OPTION_PREVENTS_STATEMENT',
        });
      } finally {
        await connection.end();
      }
    });
  });
});
