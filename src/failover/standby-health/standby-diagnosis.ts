import type { ReplicaStatus } from '../probes/replica-status';

/**
 * What can be wrong with a standby's replication, judged while the primary answers (while
 * it does not, a standby that cannot reach it is the primary's problem, not its own):
 *
 * - `not-replicating`: it answers but replicates from nothing (detached and left so);
 * - `wrong-source`: Master_Host:Master_Port is not the topology's primary;
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

export interface DiagnosisInput {
  key: string;
  /** undefined: the standby did not answer; null: it answers and replicates from nothing. */
  status: ReplicaStatus | null | undefined;
  primary: { key: string; host: string; port: number };
}

export function diagnoseStandby(input: DiagnosisInput): StandbyDiagnosis | null {
  const { key, status, primary } = input;
  if (status === undefined) return { kind: 'unreachable', detail: `standby ${key} does not answer` };
  if (status === null)
    return { kind: 'not-replicating', detail: `standby ${key} replicates from nothing (primary is ${primary.key})` };
  if (status.lastSqlError)
    return {
      kind: 'sql-error',
      detail: `standby ${key} stopped applying on an error (SQL thread ${status.sqlRunning}): ${status.lastSqlError}`,
    };
  if (status.masterHost !== primary.host || status.masterPort !== primary.port)
    return {
      kind: 'wrong-source',
      detail: `standby ${key} replicates from ${status.masterHost}:${status.masterPort}, not from the primary ${primary.key}`,
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
 * Whether `standby` holds no transaction `primary` lacks, from MariaDB GTID positions
 * (`domain-server-seq` lists, one entry per domain): every domain it has, the primary has,
 * at a sequence number at least as high. Re-pointing it with MASTER_USE_GTID=slave_pos is
 * then safe; otherwise it would diverge (errant transactions), so it is left for a person.
 */
export function gtidContained(standby: string, primary: string): boolean {
  const theirs = parsePosition(primary);
  for (const [domain, seq] of parsePosition(standby)) {
    const reached = theirs.get(domain);
    if (reached === undefined || reached < seq) return false;
  }
  return true;
}

function parsePosition(position: string): Map<string, bigint> {
  const domains = new Map<string, bigint>();
  for (const entry of position.split(',').map((part) => part.trim())) {
    if (!entry) continue;
    const [domain, , seq] = entry.split('-');
    if (domain === undefined || seq === undefined || !/^\d+$/.test(seq))
      throw new Error(`not a GTID position: ${position}`);
    const value = BigInt(seq);
    const known = domains.get(domain);
    if (known === undefined || value > known) domains.set(domain, value);
  }
  return domains;
}
