import { gtidProgress } from '../../database/gtid-position';
import type { ReplicaStatus } from '../probes/replica-status';

export interface CandidateInput {
  key: string;
  status: ReplicaStatus | null;
}

export type CandidateChoice = { key: string; status: ReplicaStatus } | { key: null; reason: string };

/**
 * The standby to promote: the one that received the most (GTID IO position), among those
 * still replicating: IO thread connected or reconnecting (one an operator stopped may be
 * far behind) and SQL thread running (a stopped one would never apply its relay log).
 * Ties go to the first configured.
 */
export function chooseCandidate(standbys: CandidateInput[]): CandidateChoice {
  const refused: string[] = [];
  let best: { key: string; status: ReplicaStatus; progress: number } | undefined;
  for (const { key, status } of standbys) {
    if (!status) {
      refused.push(`${key}: unreachable or not replicating`);
      continue;
    }
    if (status.ioRunning === 'No') {
      refused.push(
        `${key}: replication stopped (IO thread No${status.lastIoError ? `: ${status.lastIoError}` : ''}), it may be behind`,
      );
      continue;
    }
    if (status.sqlRunning !== 'Yes') {
      refused.push(
        `${key}: SQL thread ${status.sqlRunning || 'stopped'}${status.lastSqlError ? ` (${status.lastSqlError})` : ''}`,
      );
      continue;
    }
    const progress = gtidProgress(status.gtidIoPosition);
    if (!best || progress > best.progress) best = { key, status, progress };
  }
  if (best) return { key: best.key, status: best.status };
  return { key: null, reason: refused.length ? refused.join('; ') : 'no standby configured' };
}
