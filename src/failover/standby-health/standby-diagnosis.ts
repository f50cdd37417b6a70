import type { ReplicaStatus } from '../probes/replica-status';
import { errantRanges, formatErrant, historyOf, parseGtidList } from '../rejoin/gtid-set';

/**
 * What can be wrong with a standby's replication, judged while the primary answers (while
 * it does not, a standby that cannot reach it is the primary's problem, not its own):
 *
 * - `not-replicating`: it answers but replicates from nothing (detached and left so);
 * - `wrong-source`: Master_Host:Master_Port is another server of the topology (a fenced old
 *   primary, another standby), not its primary. A source that is no configured server at all
 *   (a proxy, a dedicated replication network, NAT, another spelling of the primary's host)
 *   is not a problem: it may well be the primary, so it is only noted (see sourceOf);
 * - `sql-error`: the SQL thread stopped on an error (Last_SQL_Error): never repaired
 *   automatically, a person must look at the transaction;
 * - `io-error`: the IO thread stopped on an error (Last_IO_Error), or keeps failing to connect;
 * - `stopped`: a thread is off with no error (STOP SLAVE by hand, an interrupted change);
 * - `unreachable`: the standby itself does not answer.
 */
export type StandbyProblemKind =
  'unreachable' | 'not-replicating' | 'wrong-source' | 'sql-error' | 'io-error' | 'stopped';

export interface StandbyDiagnosis {
  kind: StandbyProblemKind;
  /** One sentence for the status warning, the log and the event. */
  detail: string;
}

export interface ServerSpelling {
  key: string;
  host: string;
  port: number;
}

export interface DiagnosisInput {
  key: string;
  /** undefined: the standby did not answer; null: it answers and replicates from nothing. */
  status: ReplicaStatus | null | undefined;
  primary: ServerSpelling;
  /** Every configured server (primary included), as DB_PRIMARY_URL / DB_STANDBY_URLS spell them. */
  servers: ServerSpelling[];
}

/**
 * Where a standby's Master_Host:Master_Port points, compared as text with the configured
 * servers: `primary`; `other` (another configured server: the fenced old primary, say),
 * which is certainly wrong; or `unknown` (no configured server spells it so): a proxy, a
 * dedicated replication network, NAT or an alias of the primary, which logic-ha cannot tell
 * from a wrong source, so it never re-points it.
 */
export type SourceKind = { kind: 'primary' } | { kind: 'other'; server: string } | { kind: 'unknown' };

export function sourceOf(
  status: Pick<ReplicaStatus, 'masterHost' | 'masterPort'>,
  primary: ServerSpelling,
  servers: ServerSpelling[],
): SourceKind {
  const spells = (server: ServerSpelling) => status.masterHost === server.host && status.masterPort === server.port;
  if (spells(primary)) return { kind: 'primary' };
  const other = servers.find((server) => server.key !== primary.key && spells(server));
  return other ? { kind: 'other', server: other.key } : { kind: 'unknown' };
}

/** The status note for a source that is no configured server (never a problem, never repaired). */
export function unknownSourceNote(key: string, status: ReplicaStatus, primary: ServerSpelling): string {
  return `standby ${key} replicates from ${status.masterHost}:${status.masterPort}, which is not a server logic-ha knows; if it is an alias of ${primary.key} ignore this`;
}

export function diagnoseStandby(input: DiagnosisInput): StandbyDiagnosis | null {
  const { key, status, primary, servers } = input;
  if (status === undefined) return { kind: 'unreachable', detail: `standby ${key} does not answer` };
  if (status === null)
    return { kind: 'not-replicating', detail: `standby ${key} replicates from nothing (primary is ${primary.key})` };
  if (status.lastSqlError)
    return {
      kind: 'sql-error',
      detail: `standby ${key} stopped applying on an error (SQL thread ${status.sqlRunning}): ${status.lastSqlError}`,
    };
  const source = sourceOf(status, primary, servers);
  if (source.kind === 'other')
    return {
      kind: 'wrong-source',
      detail: `standby ${key} replicates from ${source.server} (${status.masterHost}:${status.masterPort}), not from the primary ${primary.key}`,
    };
  if (status.lastIoError && status.ioRunning !== 'Yes')
    return {
      kind: 'io-error',
      detail: `standby ${key} does not receive from the primary (IO thread ${status.ioRunning}): ${status.lastIoError}`,
    };
  if (status.ioRunning === 'No' || status.sqlRunning !== 'Yes')
    return {
      kind: 'stopped',
      detail: `standby ${key} has replication stopped (IO thread ${status.ioRunning}, SQL thread ${status.sqlRunning}) with no error`,
    };
  return null;
}

/**
 * What a standby holds that the primary lacks, from MariaDB GTID lists (`domain-server-seq`,
 * several per domain in gtid_binlog_state), per (domain, server_id): for each pair the
 * standby has, the primary must have seen the same server_id in that domain at a sequence
 * at least as high. A server_id the primary never saw in that domain is errant, whatever
 * the sequence numbers ('0-3-501' is not within '0-1-600': another server wrote it).
 * Re-pointing with MASTER_USE_GTID=slave_pos is safe only when this is '' (nothing errant);
 * otherwise it would diverge, so it is left for a person. Returns the errant GTIDs.
 */
export function errantAgainst(standby: string[], primary: string[]): string {
  const entries = standby.flatMap(parseGtidList);
  const history = historyOf(...primary);
  const ranges = errantRanges(entries, history);
  // Stricter than the rejoin's rule: an automatic re-point is refused for any server_id the
  // primary never saw in that domain, whatever its sequence numbers (nobody can tell where
  // those transactions came from; a person decides).
  for (const entry of entries) {
    const known = history.has(`${entry.domain}-${entry.serverId}`);
    const listed = ranges.some((r) => r.domain === entry.domain && r.serverId === entry.serverId);
    if (!known && !listed) ranges.push({ domain: entry.domain, serverId: entry.serverId, from: 1, to: entry.sequence });
  }
  return formatErrant(ranges);
}
