import { createReadStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { type Connection } from 'mysql2/promise';
import { DomainError, ErrorKind } from '../../../common/errors/domain-error';
import type { MysqlEndpoint } from '../../../config/mysql-url';
import { BackupErrorCode, chainBroken } from '../../backup.errors';
import type { BackupManifest, BackupVerification, ManifestFile, MysqlPosition } from '../../backup.types';
import type { ClientTools } from '../../process/client-tools';
import { type ProcessRunner, withChildren } from '../../process/process-runner';
import { storeFile } from '../../streams/store-file';
import { BackupEngine, type EngineContext, type EngineResult, storeOptionsOf } from '../backup-engine';
import { DumpPositionSniffer } from './dump-position.sniffer';
import { DumpRowCounter } from './dump-row-counter';
import { gtidPositionsEqual } from '../../../database/gtid-position';
import { clientArguments, clientEnvironment, queryRows, withConnection } from './mysql-client';
import { LockedSnapshot, fingerprintAtSnapshot } from '../../verification/snapshot-fingerprint';

/**
 * The longest writers wait on the full's read lock (taking it included) for mariadb-dump's
 * snapshot; past it, writers go on and the fingerprint is recorded only if no write slipped in.
 */
const SNAPSHOT_LOCK_LIMIT_MS = 5_000;
/** How long FLUSH TABLES WITH READ LOCK waits behind running statements before giving up the fingerprint. */
const SNAPSHOT_LOCK_WAIT_SECONDS = 3;

interface BinaryLog {
  Log_name: string;
  File_size: number | string;
}

/**
 * MariaDB/MySQL: a full is `mariadb-dump --single-transaction` of the app's database with
 * the snapshot's binlog coordinates and GTID; an incremental is the binary logs from the
 * parent's end, closed by FLUSH BINARY LOGS and fetched raw with mariadb-binlog. Needs an
 * account with SELECT, LOCK TABLES, SHOW VIEW, TRIGGER, RELOAD, BINLOG MONITOR and
 * REPLICATION SLAVE (the monitor's admin account).
 */
export class MysqlBackupEngine extends BackupEngine {
  readonly name = 'mysql' as const;

  private readonly logger = new Logger('Backup');
  private readonly sourceOf: () => MysqlEndpoint;

  /** `source` may be a function: the primary is looked up per backup, so a failover moves backups with it. */
  constructor(
    source: MysqlEndpoint | (() => MysqlEndpoint),
    private readonly runner: ProcessRunner,
    private readonly tools: ClientTools,
  ) {
    super();
    this.sourceOf = typeof source === 'function' ? source : () => source;
  }

  private get source(): MysqlEndpoint {
    return this.sourceOf();
  }

  async full(context: EngineContext): Promise<EngineResult> {
    const serverVersion = await withConnection(this.source, undefined, (c) => this.serverVersion(c));
    context.progress.enter('dump');
    // Our own snapshot first, under a read lock that lasts until the dump has its snapshot:
    // both then stand at one point, and the fingerprint describes exactly what the dump holds.
    const snapshot = await LockedSnapshot.open(this.source, {
      lockWaitSeconds: SNAPSHOT_LOCK_WAIT_SECONDS,
      holdLimitMs: SNAPSHOT_LOCK_LIMIT_MS,
      signal: context.signal,
    }).catch((error: Error) => {
      this.logger.warn({ msg: 'no fingerprint for this full: the snapshot lock failed', err: error.message });
      return null;
    });
    try {
      const fingerprinting = snapshot
        ? snapshot.fingerprint(this.source.database).catch((error: Error) => {
            this.logger.warn({ msg: 'no fingerprint for this full', err: error.message });
            return null;
          })
        : Promise.resolve(null);
      const end = await this.dump(context, () => void snapshot?.unlock().catch(() => undefined));
      const verification = await fingerprinting;
      return {
        files: [end.file],
        start: null,
        end: end.position,
        serverVersion,
        sourceDatabase: this.source.database,
        ...this.sameSnapshot(verification, end.position),
      };
    } finally {
      snapshot?.close();
    }
  }

  /** The fingerprint is the dump's only if both snapshots stand at the same GTID. */
  private sameSnapshot(verification: BackupVerification | null, end: MysqlPosition) {
    if (!verification) return {};
    if (gtidPositionsEqual(verification.at.gtid, end.gtid)) return { verification: { ...verification, at: end } };
    this.logger.warn({
      msg: 'no fingerprint for this full: a write came between its snapshot and the dump',
      fingerprintAt: verification.at.gtid,
      dumpAt: end.gtid,
    });
    return {};
  }

  /** mariadb-dump into storage; `onSnapshot` runs as soon as the dump's coordinates pass by. */
  private async dump(context: EngineContext, onSnapshot: () => void) {
    const command = this.tools.withLargeOutputBuffer('dump', [
      ...clientArguments(this.source),
      '--single-transaction',
      // A fresh binlog file at the snapshot: the next incremental fetches only what was
      // written since, not the whole file the full ended in (up to max_binlog_size).
      '--flush-logs',
      '--gtid',
      '--master-data=2',
      '--routines',
      '--triggers',
      '--hex-blob',
      '--quick',
      '--default-character-set=utf8mb4',
      this.source.database,
    ]);
    const dump = this.runner.start(command.command, command.args, {
      env: clientEnvironment(this.source),
      signal: context.signal,
      label: 'mariadb-dump',
    });
    const sniffer = new DumpPositionSniffer();
    sniffer.once('coordinates', onSnapshot);
    const stored = storeFile(context.storage, context.backupId, 'dump.sql', 'dump', dump.stdout.pipe(sniffer), {
      ...storeOptionsOf(context),
      onRawChunk: new DumpRowCounter(context.progress.addRows).scan,
      // The dump goes before the upload's abort, whose requests may wait on a silent service.
      onFailure: () => dump.stop(),
    });
    const file = await withChildren([dump], stored);
    context.progress.fileDone();
    if (sniffer.binlogFile === null || sniffer.binlogPosition === null || sniffer.gtid === null) {
      throw new DomainError(
        BackupErrorCode.ToolFailed,
        ErrorKind.Internal,
        'the dump carries no binlog coordinates: is the binary log enabled on the source?',
      );
    }
    const position: MysqlPosition = {
      kind: 'mysql',
      gtid: sniffer.gtid,
      binlogFile: sniffer.binlogFile,
      binlogPosition: sniffer.binlogPosition,
    };
    return { file, position };
  }

  async incremental(context: EngineContext, parent: BackupManifest): Promise<EngineResult> {
    const start = parent.end;
    if (start.kind !== 'mysql') throw chainBroken(`parent ${parent.id} is not a MariaDB/MySQL backup`);
    const { serverVersion, logs, end, verification } = await withConnection(
      this.source,
      undefined,
      async (connection) => {
        await this.assertContinues(connection, start);
        // Before the flush: the snapshot's point lies inside the binlog this incremental stores,
        // so a restore to that GTID reproduces exactly what was fingerprinted.
        const verification = await this.fingerprintHere(connection);
        await connection.query('FLUSH BINARY LOGS');
        const all = await queryRows<BinaryLog>(connection, 'SHOW BINARY LOGS');
        return {
          serverVersion: await this.serverVersion(connection),
          ...(await this.closedSince(connection, all, start)),
          verification,
        };
      },
    );
    const files: ManifestFile[] = [];
    context.progress.enter(
      'binlogs',
      logs.reduce((sum, log) => sum + log.size, 0),
    );
    for (const log of logs) files.push(await this.fetchBinlog(context, log));
    return {
      files,
      start,
      end,
      serverVersion,
      sourceDatabase: this.source.database,
      ...(verification ? { verification } : {}),
    };
  }

  /** A fingerprint is a bonus: failing to take one never fails the backup. */
  private async fingerprintHere(connection: Connection): Promise<BackupVerification | null> {
    try {
      const verification = await fingerprintAtSnapshot(connection, this.source.database);
      // Without a GTID there is no point a restore could stop at.
      return verification.at.gtid === '' ? null : verification;
    } catch (error) {
      this.logger.warn({ msg: 'no fingerprint for this incremental', err: (error as Error).message });
      return null;
    }
  }

  /** The parent's end must be a point in this server's binlog with the same GTID history. */
  private async assertContinues(connection: Connection, start: MysqlPosition): Promise<void> {
    const logs = await queryRows<BinaryLog>(connection, 'SHOW BINARY LOGS');
    if (!logs.some((log) => log.Log_name === start.binlogFile)) {
      throw chainBroken(
        `binlog ${start.binlogFile} is not on the server any more (purged, or another server): a full backup is needed`,
      );
    }
    const [row] = await queryRows<{ pos: string | null }>(connection, 'SELECT BINLOG_GTID_POS(?, ?) AS pos', [
      start.binlogFile,
      start.binlogPosition,
    ]);
    if (row.pos === null) {
      throw chainBroken(
        `binlog ${start.binlogFile} at ${start.binlogPosition} is not on the server any more (purged, or another server): a full backup is needed`,
      );
    }
    if (!gtidPositionsEqual(row.pos, start.gtid)) {
      throw chainBroken(
        `the server's history at ${start.binlogFile}:${start.binlogPosition} is GTID ${row.pos || "''"}, the parent ended at ${start.gtid || "''"} (a new primary after failover?): a full backup is needed`,
      );
    }
  }

  /** The binlogs closed by our FLUSH, from the parent's file on; a file the parent already read to its end is skipped. */
  private async closedSince(connection: Connection, all: BinaryLog[], start: MysqlPosition) {
    const from = all.findIndex((log) => log.Log_name === start.binlogFile);
    if (from < 0)
      throw chainBroken(`binlog ${start.binlogFile} was purged while the backup started: a full backup is needed`);
    const closed = all.slice(from, all.length - 1).map((log) => ({ name: log.Log_name, size: Number(log.File_size) }));
    const logs = closed.filter((log, index) => index > 0 || start.binlogPosition < log.size);
    const last = closed[closed.length - 1];
    if (!last) return { logs, end: start };
    const [row] = await queryRows<{ pos: string | null }>(connection, 'SELECT BINLOG_GTID_POS(?, ?) AS pos', [
      last.name,
      last.size,
    ]);
    const end: MysqlPosition = { kind: 'mysql', gtid: row.pos ?? '', binlogFile: last.name, binlogPosition: last.size };
    return { logs, end };
  }

  private async fetchBinlog(context: EngineContext, log: { name: string; size: number }): Promise<ManifestFile> {
    const fetch = this.runner.start(
      this.tools.path('binlog'),
      [
        ...clientArguments(this.source),
        '--read-from-remote-server',
        '--raw',
        `--result-file=${context.tempDir}/`,
        log.name,
      ],
      { env: clientEnvironment(this.source), signal: context.signal },
    );
    fetch.stdout.resume();
    await fetch.finished;
    const local = join(context.tempDir, log.name);
    const { size } = await stat(local);
    if (size !== log.size)
      throw new DomainError(
        BackupErrorCode.ToolFailed,
        ErrorKind.Internal,
        `binlog ${log.name} arrived with ${size} bytes, the server lists ${log.size}`,
      );
    const file = await storeFile(
      context.storage,
      context.backupId,
      log.name,
      'binlog',
      createReadStream(local),
      storeOptionsOf(context),
    );
    await unlink(local);
    context.progress.fileDone();
    return file;
  }

  private async serverVersion(connection: Connection): Promise<string> {
    const [row] = await queryRows<{ version: string }>(connection, 'SELECT VERSION() AS version');
    return row.version;
  }
}
