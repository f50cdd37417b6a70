import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { BackupReader } from '../../src/backup/backup-reader';
import { KeyRing } from '../../src/backup/crypto/key-ring';
import { newBackupId } from '../../src/backup/backup-id';
import type { BackupManifest } from '../../src/backup/backup.types';
import { type EngineContext } from '../../src/backup/engines/backup-engine';
import { MysqlBackupEngine } from '../../src/backup/engines/mysql/mysql-backup.engine';
import { MysqlRestoreEngine } from '../../src/backup/engines/mysql/mysql-restore.engine';
import { assembleManifest, serialiseManifest } from '../../src/backup/manifest';
import { ClientTools } from '../../src/backup/process/client-tools';
import { ProcessRunner } from '../../src/backup/process/process-runner';
import { ProgressTracker } from '../../src/backup/progress';
import { RestoreService } from '../../src/backup/restore.service';
import { LocalBackupStorage } from '../../src/backup/storage/local-backup.storage';
import {
  type ReplicatedPair,
  createAppDatabase,
  startReplicatedPair,
  waitForReplicaCaughtUp,
} from '../support/mariadb';

/** The MariaDB engine against a GTID pair: another server's history, a GTID stop, a failing tool. */
describe('MariaDB backup engine on a replicated pair', () => {
  let pair: ReplicatedPair;
  const root = mkdtempSync(join(tmpdir(), 'logic-ha-engine-'));
  const storage = new LocalBackupStorage(join(root, 'backups'));
  const runner = new ProcessRunner();
  const tools = new ClientTools();
  let clockMs = Date.parse('2026-11-27T02:00:00Z');

  const engineOn = (port: number, password = '') =>
    new MysqlBackupEngine({ host: '127.0.0.1', port, user: 'root', password, database: 'logic_ha' }, runner, tools);
  const context = (type: 'full' | 'incremental'): EngineContext => {
    clockMs += 1000;
    return {
      backupId: newBackupId(type, new Date(clockMs)),
      storage,
      compressionLevel: 1,
      signal: new AbortController().signal,
      progress: new ProgressTracker(),
      tempDir: mkdtempSync(join(root, 'tmp-')),
    };
  };
  /** What BackupService does after an engine run: the manifest, written last. */
  const record = async (
    ctx: EngineContext,
    type: 'full' | 'incremental',
    parent: BackupManifest | null,
    run: Promise<Awaited<ReturnType<MysqlBackupEngine['full']>>>,
  ) => {
    const result = await run;
    const manifest = assembleManifest({
      id: ctx.backupId,
      type,
      parent,
      tag: null,
      engine: 'mysql',
      schemaVersion: null,
      result,
      files: result.files,
      startedAt: new Date(clockMs),
      finishedAt: new Date(clockMs + 500),
    });
    await storage.writeManifest(ctx.backupId, serialiseManifest(manifest));
    return manifest;
  };

  beforeAll(async () => {
    Logger.overrideLogger(false);
    pair = await startReplicatedPair();
    await createAppDatabase(pair, 'logic_ha', 'app', 'app-password');
    await pair.primary.query(
      'CREATE TABLE logic_ha.t (id int PRIMARY KEY, v varchar(20)); INSERT INTO logic_ha.t VALUES (1, "a"), (2, "b");',
    );
  });
  afterAll(async () => {
    await pair?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses an incremental on a server whose binlog differs (a promoted replica), with the reason, and stores nothing', async () => {
    // The full rotates the primary's binlog (--flush-logs); the replica's files and offsets no longer match.
    const fullCtx = context('full');
    const full = await record(fullCtx, 'full', null, engineOn(pair.primary.port).full(fullCtx));
    await pair.primary.query('INSERT INTO logic_ha.t VALUES (3, "c")');
    await waitForReplicaCaughtUp(pair.primary, pair.replica);
    const ctx = context('incremental');
    await expect(engineOn(pair.replica.port).incremental(ctx, full)).rejects.toMatchObject({
      code: 'BACKUP_CHAIN_BROKEN',
      message: expect.stringMatching(
        /binlog binlog\.\d+ at \d+ is not on the server any more|binlog binlog\.\d+ is not on the server any more/,
      ),
    });
    expect(await storage.listIds()).not.toContain(ctx.backupId);

    // Once the replica has a file of that name too, its history at that offset is another one.
    await pair.replica.query('FLUSH BINARY LOGS');
    await pair.primary.query('INSERT INTO logic_ha.t VALUES (5, "e")');
    await waitForReplicaCaughtUp(pair.primary, pair.replica);
    await expect(engineOn(pair.replica.port).incremental(context('incremental'), full)).rejects.toMatchObject({
      code: 'BACKUP_CHAIN_BROKEN',
      message: expect.stringMatching(/history at binlog\.\d+:\d+ is GTID .*, the parent ended at/),
    });
    await pair.primary.query('DELETE FROM logic_ha.t WHERE id = 5');
  });

  it('restores to a GTID, inclusive, and to the end of the chain', async () => {
    const fullCtx = context('full');
    const full = await record(fullCtx, 'full', null, engineOn(pair.primary.port).full(fullCtx));
    await pair.primary.query('INSERT INTO logic_ha.t VALUES (10, "x")');
    const [{ gtid }] = await pair.primary.query<{ gtid: string }[]>('SELECT @@gtid_binlog_pos AS gtid');
    await pair.primary.query('INSERT INTO logic_ha.t VALUES (11, "y")');
    const incCtx = context('incremental');
    const incremental = await record(
      incCtx,
      'incremental',
      full,
      engineOn(pair.primary.port).incremental(incCtx, full),
    );
    expect(incremental.start).toEqual(full.end);

    const restores = new RestoreService(
      new BackupReader(storage, KeyRing.none()),
      { mysql: new MysqlRestoreEngine(runner, tools), sqlite: undefined as never },
      join(root, 'tmp'),
    );
    const target = (database: string) => `mysql://root@127.0.0.1:${pair.replica.port}/${database}`;
    // The replica is read-only for the app, not for root: a convenient second server.
    await restores.restore(
      { backupId: incremental.id, target: target('at_gtid'), to: gtid },
      new ProgressTracker(),
      new AbortController().signal,
    );
    await restores.restore(
      { backupId: incremental.id, target: target('at_end') },
      new ProgressTracker(),
      new AbortController().signal,
    );
    const ids = async (database: string) =>
      (await pair.replica.query<{ id: number }[]>(`SELECT id FROM ${database}.t ORDER BY id`)).map((row) => row.id);
    expect(await ids('at_gtid')).toEqual([1, 2, 3, 10]);
    expect(await ids('at_end')).toEqual([1, 2, 3, 10, 11]);
  });

  it('fails a dump that cannot log in, with the tool and its error', async () => {
    const ctx = context('full');
    await expect(engineOn(pair.primary.port, 'wrong-password').full(ctx)).rejects.toThrow(/Access denied/);
  });
});
