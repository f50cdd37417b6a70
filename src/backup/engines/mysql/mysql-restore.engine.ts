import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError, ErrorKind } from '../../../common/errors/domain-error';
import { parseGtidPosition } from '../../../database/gtid-position';
import { type MysqlEndpoint, describeEndpoint, isParseError, parseMysqlUrl } from '../../../config/mysql-url';
import { BackupErrorCode } from '../../backup.errors';
import type { BackupManifest, MysqlPosition } from '../../backup.types';
import type { ClientTools } from '../../process/client-tools';
import { type ProcessRunner, withChildren } from '../../process/process-runner';
import { openStoredFile } from '../../streams/read-file';
import { type RestoreContext, RestoreEngine, type RestoreOutcome, type RestorePoint, sealOf } from '../restore-engine';
import { DumpRowCounter } from './dump-row-counter';
import { GtidSessionStripper } from './gtid-session.stripper';
import { clientArguments, clientEnvironment, connectTo, queryRows, withConnection } from './mysql-client';

/** A session whose writes stay out of the binary log: no replica sees them, no GTID is made. */
export const UNLOGGED_SESSION = 'SET SESSION sql_log_bin = 0';

/**
 * Restores a MariaDB/MySQL chain into the database a mysql:// URL names: the dump through
 * `mariadb`, then the chain's binlogs through `mariadb-binlog | mariadb`, from the full's
 * snapshot GTID (exclusive) up to the target point.
 */
export class MysqlRestoreEngine extends RestoreEngine {
  readonly name = 'mysql' as const;

  constructor(
    private readonly runner: ProcessRunner,
    private readonly tools: ClientTools,
  ) {
    super();
  }

  async checkTarget(target: string, force: boolean): Promise<void> {
    const endpoint = parseTarget(target);
    const tables = await this.tableCount(endpoint);
    if (tables > 0 && !force) {
      throw new DomainError(
        BackupErrorCode.TargetNotEmpty,
        ErrorKind.Conflict,
        `target ${describeEndpoint(endpoint)} already holds ${tables} table(s); restore refuses to overwrite it unless forced`,
      );
    }
  }

  async restore(context: RestoreContext): Promise<RestoreOutcome> {
    const endpoint = parseTarget(context.target);
    const unlogged = context.unlogged ?? false;
    await this.recreateDatabase(endpoint, context.force, unlogged);
    const [full, ...incrementals] = context.chain;
    await this.applyDump(context, endpoint, full);
    // A GTID point no domain of which moved past the full is the full itself: nothing to replay.
    const replay = context.point.kind !== 'gtid' || gtidStopPosition(fullGtid(full), context.point.gtid) !== null;
    const binlogs = replay ? await this.unpackBinlogs(context, incrementals) : [];
    if (binlogs.length > 0) await this.applyBinlogs(context, endpoint, full, binlogs);
    return { rowCounts: await this.rowCounts(endpoint) };
  }

  private async tableCount(endpoint: MysqlEndpoint): Promise<number> {
    const connection = await connectTo(endpoint, undefined).catch((error: Error) => {
      throw new DomainError(
        BackupErrorCode.TargetUnreachable,
        ErrorKind.Unavailable,
        `cannot connect to ${describeEndpoint(endpoint)}: ${error.message}`,
      );
    });
    try {
      const [row] = await queryRows<{ n: number }>(
        connection,
        'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
        [endpoint.database],
      );
      return Number(row.n);
    } finally {
      await connection.end();
    }
  }

  /** Forced: the database is dropped and created again, so nothing of the old content survives. */
  private async recreateDatabase(endpoint: MysqlEndpoint, force: boolean, unlogged: boolean): Promise<void> {
    await withConnection(endpoint, undefined, async (connection) => {
      if (unlogged) await connection.query(UNLOGGED_SESSION);
      const name = connection.escapeId(endpoint.database);
      if (force) await connection.query(`DROP DATABASE IF EXISTS ${name}`);
      await connection.query(`CREATE DATABASE IF NOT EXISTS ${name} CHARACTER SET utf8mb4`);
    });
  }

  private async applyDump(context: RestoreContext, endpoint: MysqlEndpoint, full: BackupManifest): Promise<void> {
    const dump = full.files.find((file) => file.role === 'dump');
    if (!dump)
      throw new DomainError(BackupErrorCode.Corrupt, ErrorKind.Conflict, `full backup ${full.id} holds no dump`);
    context.progress.enter('dump', dump.sizeBytes);
    const client = this.client(endpoint, context);
    await withChildren(
      [client],
      pipeline(
        openStoredFile(context.storage, full.id, dump, context.progress.addBytes, sealOf(context, full.id)),
        rowsOf(context),
        client.stdin!,
      ),
    );
    context.progress.fileDone();
  }

  private async unpackBinlogs(context: RestoreContext, incrementals: BackupManifest[]): Promise<string[]> {
    const files = incrementals.flatMap((backup) =>
      backup.files.filter((f) => f.role === 'binlog').map((file) => ({ backup, file })),
    );
    context.progress.enter(
      'binlogs',
      files.reduce((sum, { file }) => sum + file.sizeBytes, 0),
    );
    const paths: string[] = [];
    for (const { backup, file } of files) {
      const path = join(context.tempDir, `${String(paths.length).padStart(6, '0')}-${file.name.replace(/\.gz$/, '')}`);
      await pipeline(
        openStoredFile(context.storage, backup.id, file, context.progress.addBytes, sealOf(context, backup.id)),
        createWriteStream(path),
        { signal: context.signal },
      );
      context.progress.fileDone();
      paths.push(path);
    }
    return paths;
  }

  private async applyBinlogs(
    context: RestoreContext,
    endpoint: MysqlEndpoint,
    full: BackupManifest,
    paths: string[],
  ): Promise<void> {
    context.progress.enter('replay');
    const decoder = this.runner.start(
      this.tools.path('binlog'),
      [
        ...replayRange(full.end as MysqlPosition, paths[0], context.point),
        ...databaseFilter(full.sourceDatabase, endpoint.database),
        ...paths,
      ],
      // mariadb-binlog reads --stop-datetime in the local time zone; ours are UTC.
      { env: { TZ: 'UTC' }, signal: context.signal },
    );
    const client = this.client(endpoint, context);
    await withChildren([decoder, client], pipeline(decoder.stdout, new GtidSessionStripper(), client.stdin!));
  }

  private client(endpoint: MysqlEndpoint, context: RestoreContext) {
    return this.runner.start(
      this.tools.path('client'),
      [
        ...clientArguments(endpoint),
        '--binary-mode',
        `--database=${endpoint.database}`,
        ...(context.unlogged ? [`--init-command=${UNLOGGED_SESSION}`] : []),
      ],
      {
        env: clientEnvironment(endpoint),
        signal: context.signal,
        stdin: true,
      },
    );
  }

  private rowCounts(endpoint: MysqlEndpoint): Promise<Record<string, number>> {
    return withConnection(endpoint, endpoint.database, async (connection) => {
      const tables = await queryRows<{ name: string }>(
        connection,
        "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
        [endpoint.database],
      );
      const counts: Record<string, number> = {};
      for (const { name } of tables) {
        const [row] = await queryRows<{ n: number }>(
          connection,
          `SELECT COUNT(*) AS n FROM ${connection.escapeId(name)}`,
        );
        counts[name] = Number(row.n);
      }
      return counts;
    });
  }
}

/**
 * Where replay starts and stops. Start: after the full's snapshot GTID (exclusive), or its
 * binlog offset when the source had logged no GTID yet. Stop: a GTID (inclusive) or a time;
 * binlog times have one-second resolution, so a time includes every event of its second.
 */
export function replayRange(fullEnd: MysqlPosition, firstPath: string, point: RestorePoint): string[] {
  const args: string[] = [];
  if (fullEnd.gtid !== '') args.push(`--start-position=${fullEnd.gtid}`);
  else if (firstPath.endsWith(fullEnd.binlogFile)) args.push(`--start-position=${fullEnd.binlogPosition}`);
  if (point.kind === 'gtid') {
    const stop = gtidStopPosition(fullEnd.gtid, point.gtid);
    if (stop !== null) args.push(`--stop-position=${stop}`);
  }
  if (point.kind === 'time')
    args.push(`--stop-datetime=${binlogDatetime(new Date(Math.floor(point.at.getTime() / 1000) * 1000 + 1000))}`);
  return args;
}

/**
 * The part of a GTID stop point mariadb-binlog can reach: only the domains whose sequence
 * moved past the full's end. A domain idle since the full has no event in the binlogs, and
 * mariadb-binlog warns "Did not reach stop position" for it (which the stderr policy rightly
 * treats as fatal). Null when no domain moved: the point is the full itself.
 */
export function gtidStopPosition(fullEndGtid: string, target: string): string | null {
  const start = parseGtidPosition(fullEndGtid);
  const moved = [...parseGtidPosition(target)]
    .filter(([domain, position]) => position.sequence > (start.get(domain)?.sequence ?? 0))
    .map(([domain, position]) => `${domain}-${position.serverId}-${position.sequence}`);
  return moved.length > 0 ? moved.join(',') : null;
}

function fullGtid(full: BackupManifest): string {
  return (full.end as MysqlPosition).gtid;
}

/**
 * Only the app database's events, renamed when the target database has another name.
 * MariaDB's mariadb-binlog filters --database on the name before the rewrite.
 */
function databaseFilter(source: string | null, target: string): string[] {
  if (!source) return [];
  return source === target ? [`--database=${source}`] : [`--rewrite-db=${source}->${target}`, `--database=${source}`];
}

function binlogDatetime(at: Date): string {
  return at.toISOString().slice(0, 19).replace('T', ' ');
}

function parseTarget(target: string): MysqlEndpoint {
  const parsed = parseMysqlUrl(target);
  if (isParseError(parsed))
    throw new DomainError(BackupErrorCode.TargetRefused, ErrorKind.InvalidInput, `target ${parsed.error}`, {
      details: { field: 'target' },
    });
  return parsed;
}

/** Passes the dump through unchanged, counting its rows into the restore's progress. */
function rowsOf(context: RestoreContext): Transform {
  const counter = new DumpRowCounter(context.progress.addRows);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counter.scan(chunk);
      callback(null, chunk);
    },
  });
}
