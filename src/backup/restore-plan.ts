import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { BackupErrorCode } from './backup.errors';
import type { BackupManifest } from './backup.types';
import type { RestorePoint } from './engines/restore-engine';
import { GTID_LIST_PATTERN } from '../database/gtid-position';

export interface RestorePlan {
  engine: BackupManifest['engine'];
  point: RestorePoint;
  /** What will be applied, full first. */
  chain: BackupManifest[];
  /** Where the restored data will stand, in words. */
  reaches: string;
}

/** `--to`: an ISO-8601 time with a zone, or a GTID list; absent means the chain's end. */
export function parseRestorePoint(to: string | undefined | null): RestorePoint {
  if (to === undefined || to === null || to === '') return { kind: 'latest' };
  if (GTID_LIST_PATTERN.test(to)) return { kind: 'gtid', gtid: to };
  const at = new Date(to);
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(to) && !Number.isNaN(at.getTime()))
    return { kind: 'time', at };
  throw new DomainError(
    BackupErrorCode.PointNotCovered,
    ErrorKind.InvalidInput,
    'to must be an ISO-8601 time with a zone (2026-11-27T02:30:00Z) or a GTID position (0-1-42)',
    {
      details: { field: 'to' },
    },
  );
}

/**
 * Which part of a chain reaches the point. MariaDB replays binlogs to any time or GTID
 * after the full's snapshot; SQLite stands only at backup boundaries, so a time picks the
 * newest backup finished by then.
 */
export function planRestore(chain: BackupManifest[], point: RestorePoint): RestorePlan {
  const full = chain[0];
  const last = chain[chain.length - 1];
  if (point.kind === 'latest')
    return { engine: full.engine, point, chain, reaches: `the end of ${last.id} (${last.finishedAt})` };
  if (point.kind === 'gtid') {
    if (full.engine !== 'mysql') throw notCovered('a GTID point needs a MariaDB/MySQL backup');
    return { engine: full.engine, point, chain, reaches: `GTID ${point.gtid} (inclusive)` };
  }
  const at = point.at.getTime();
  if (at < Date.parse(full.finishedAt))
    throw notCovered(
      `${point.at.toISOString()} is before full backup ${full.id} finished (${full.finishedAt}): use an older backup`,
    );
  if (at > Date.parse(last.finishedAt))
    throw notCovered(
      `${point.at.toISOString()} is after ${last.id} ended (${last.finishedAt}): take an incremental backup first, or choose a newer one`,
    );
  if (full.engine === 'sqlite') {
    const kept = chain.filter((backup) => Date.parse(backup.finishedAt) <= at);
    const reached = kept[kept.length - 1];
    return {
      engine: full.engine,
      point,
      chain: kept,
      reaches: `the end of ${reached.id} (${reached.finishedAt}): SQLite restores to backup boundaries`,
    };
  }
  const lastNeeded = chain.findIndex((backup) => Date.parse(backup.finishedAt) >= at);
  return {
    engine: full.engine,
    point,
    chain: chain.slice(0, lastNeeded + 1),
    reaches: `${point.at.toISOString()} (binlog times have one-second resolution)`,
  };
}

function notCovered(message: string): DomainError {
  return new DomainError(BackupErrorCode.PointNotCovered, ErrorKind.Conflict, `restore point not covered: ${message}`, {
    details: { field: 'to' },
  });
}
