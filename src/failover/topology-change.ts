import { Injectable } from '@nestjs/common';
import { messageOf } from '../common/errors/error-message';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { DatabaseTopology } from '../database/topology/database-topology';
import { FailoverKind, FailoverRecord, TopologyState } from '../database/topology/topology-state';
import { ServerProbe } from './probes/server-probe';
import type { StepRecorder } from './promotion/step-recorder';
import { addressOf } from './server-address';

export interface RecordInput {
  id: string;
  kind: FailoverKind;
  reason: string;
  startedAt: Date;
  oldPrimary: string;
  newPrimary: string | null;
  epoch: number;
  steps: StepRecorder;
  error: string | null;
}

/** The parts every primary change shares: persisting it, moving the standbys, its record. */
@Injectable()
export class TopologyChange {
  constructor(
    private readonly config: AppConfig,
    private readonly topology: DatabaseTopology,
    private readonly probe: ServerProbe,
    private readonly clock: Clock,
  ) {}

  /**
   * Epoch + 1 and the new primary, written before anything uses them. A failover fences the
   * old primary and starts the cooldown; a planned switchover keeps it as a standby and,
   * being deliberate, does not block automatic failover.
   */
  persist(oldPrimary: string, newPrimary: string, kind: FailoverKind): Promise<TopologyState> {
    const now = this.clock.now().toISOString();
    return this.topology.update((state) => ({
      ...state,
      epoch: state.epoch + 1,
      primary: newPrimary,
      fenced:
        kind === 'failover'
          ? [...new Set([...state.fenced.filter((key) => key !== newPrimary), oldPrimary])]
          : state.fenced.filter((key) => key !== newPrimary),
      control: { ...state.control, lastChangeAt: now, acknowledged: kind === 'switchover' },
    }));
  }

  /** Every standby (but `except`) replicates from the new primary; one line per standby. */
  async repointStandbys(newPrimary: string, except: string[] = []): Promise<string[]> {
    const others = this.topology.standbys().filter((s) => !except.includes(s.key));
    if (others.length === 0) return ['no other standby'];
    const account = this.config.replicationAccount;
    if (!account)
      return others.map((s) => `${s.key} left replicating from the old primary: DB_REPLICATION_USER is not set`);
    const source = addressOf(this.topology, newPrimary);
    return Promise.all(
      others.map((s) =>
        this.probe.replicateFrom(addressOf(this.topology, s.key), source, account).then(
          () => `${s.key} replicates from ${newPrimary}`,
          (error: unknown) => `${s.key} not re-pointed: ${messageOf(error)}`,
        ),
      ),
    );
  }

  record(input: RecordInput): FailoverRecord {
    return {
      id: input.id,
      kind: input.kind,
      reason: input.reason,
      startedAt: input.startedAt.toISOString(),
      finishedAt: this.clock.now().toISOString(),
      oldPrimary: input.oldPrimary,
      newPrimary: input.newPrimary,
      epoch: input.epoch,
      outcome: input.error === null ? 'succeeded' : 'failed',
      steps: input.steps.steps,
      error: input.error,
    };
  }
}

/** `fo-20261127T051502123Z` / `so-…`: sortable, unique per millisecond (one change at a time). */
export function changeId(kind: FailoverKind, at: Date): string {
  return `${kind === 'failover' ? 'fo' : 'so'}-${at.toISOString().replace(/[-:.]/g, '')}`;
}
