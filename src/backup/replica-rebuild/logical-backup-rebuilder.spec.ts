import type { AppConfig } from '../../config/app-config';
import type { BackupReader } from '../backup-reader';
import type { BackupManifest } from '../backup.types';
import type { RestoreRequest, RestoreService } from '../restore.service';
import { LogicalBackupRebuilder } from './logical-backup-rebuilder';

const SERVER = { key: '127.0.0.1:2', host: '127.0.0.1', port: 2, database: 'logic_ha' };

/** Backups by id: engine and end GTID; `broken` ones fail chainOf. */
function rebuilderWith(backups: Record<string, { engine?: 'mysql' | 'sqlite'; gtid: string; broken?: boolean }>) {
  const manifest = (id: string) =>
    ({
      id,
      engine: backups[id].engine ?? 'mysql',
      end: { kind: 'mysql', gtid: backups[id].gtid, binlogFile: 'binlog.000001', binlogPosition: 4 },
    }) as unknown as BackupManifest;
  const reader = {
    storage: { description: 'local /backups', listIds: async () => Object.keys(backups) },
    manifest: async (id: string) => manifest(id),
    chainOf: async (id: string) => {
      if (backups[id].broken) throw new Error(`chain of ${id} broken`);
      return [manifest(id)];
    },
  } as unknown as BackupReader;
  const requests: RestoreRequest[] = [];
  const restores = {
    restore: async (request: RestoreRequest) => {
      requests.push(request);
      return { chain: [request.backupId] };
    },
  } as unknown as RestoreService;
  const config = { monitorAccount: { user: 'monitor', password: 'p@ss' } } as AppConfig;
  return { rebuilder: new LogicalBackupRebuilder(config, reader, restores), requests };
}

/** The primary holds domain 0 of server 1 up to 150. */
const holds = (gtid: string) => gtid.startsWith('0-1-') && Number(gtid.split('-')[2]) <= 150;

describe('LogicalBackupRebuilder', () => {
  it('plans the newest MariaDB backup the primary holds, skipping newer ones of another history', async () => {
    const { rebuilder } = rebuilderWith({
      '20261129-200000-000F': { gtid: '0-1-100' },
      '20261129-210000-000I': { gtid: '0-1-140' },
      '20261129-220000-000F': { gtid: '0-2-7' },
      '20261129-230000-000F': { engine: 'sqlite', gtid: '' },
    });
    await expect(rebuilder.plan(SERVER, holds)).resolves.toEqual({ ref: '20261129-210000-000I', position: '0-1-140' });
  });

  it('refuses with no usable backup, or a broken chain, naming why', async () => {
    await expect(rebuilderWith({}).rebuilder.plan(SERVER, holds)).rejects.toMatchObject({
      code: 'BACKUP_NOT_USABLE',
      message: expect.stringMatching(/reclone refused: no backup in local \/backups/),
    });
    await expect(
      rebuilderWith({ '20261129-220000-000F': { gtid: '0-2-7' } }).rebuilder.plan(SERVER, holds),
    ).rejects.toThrow(/no MariaDB backup ends at a position the primary holds: 20261129-220000-000F \(ends at 0-2-7\)/);
    await expect(
      rebuilderWith({ '20261129-220000-000F': { gtid: '0-1-9', broken: true } }).rebuilder.plan(SERVER, holds),
    ).rejects.toThrow(/broken/);
    await expect(rebuilderWith({}).rebuilder.plan({ ...SERVER, database: undefined }, holds)).rejects.toThrow(
      /no app database known on 127\.0\.0\.1:2/,
    );
  });

  it("restores the plan into the server's app database as the monitor, forced and unlogged", async () => {
    const { rebuilder, requests } = rebuilderWith({ '20261129-210000-000F': { gtid: '0-1-140' } });
    const plan = await rebuilder.plan(SERVER, holds);
    await expect(rebuilder.rebuild(SERVER, plan, new AbortController().signal)).resolves.toEqual({
      position: '0-1-140',
      source: 'backup chain 20261129-210000-000F',
    });
    expect(requests).toEqual([
      {
        backupId: '20261129-210000-000F',
        target: 'mysql://monitor:p%40ss@127.0.0.1:2/logic_ha',
        force: true,
        unlogged: true,
      },
    ]);
  });
});
