import { Injectable } from '@nestjs/common';
import type { Counter, Gauge } from 'prom-client';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { MetricsRegistry } from '../common/metrics/metrics-registry';
import type { InstanceJobName } from './jobs/instance-job';

export type LifecycleOperation = 'start' | 'stop' | 'next';
export type OperationOutcome = 'ok' | 'rejected' | 'failed';

const OPERATIONS: LifecycleOperation[] = ['start', 'stop', 'next'];
const OUTCOMES: OperationOutcome[] = ['ok', 'rejected', 'failed'];

/** A refusal the caller can fix (unknown pair, conflict) against a failure of ours (the database). */
export function outcomeOf(error: unknown): OperationOutcome {
  if (error instanceof DomainError && error.kind !== ErrorKind.Unavailable && error.kind !== ErrorKind.Internal)
    return 'rejected';
  return 'failed';
}

/** The instance metrics: lifecycle calls by outcome, the long-running count, retry claims. */
@Injectable()
export class InstanceMetrics {
  private readonly operations: Counter<'operation' | 'outcome'>;
  private readonly longRunning: Gauge;
  private readonly retryClaims: Counter<'outcome'>;

  constructor(metrics: MetricsRegistry) {
    this.operations = metrics.counter({
      name: 'logic_ha_instance_operations_total',
      help: 'Runtime lifecycle calls (start, stop, next) by outcome: ok, rejected (4xx: unknown pair, conflict) or failed',
      labelNames: ['operation', 'outcome'],
    });
    for (const operation of OPERATIONS) for (const outcome of OUTCOMES) this.operations.inc({ operation, outcome }, 0);
    this.longRunning = metrics.gauge({
      name: 'logic_ha_instances_long_running',
      help: 'Instances running longer than INSTANCE_LONG_RUNNING_TIMEOUT_S, as of the last long-running job run',
    });
    this.retryClaims = metrics.counter({
      name: 'logic_ha_instance_retry_claims_total',
      help: 'Retry candidates by outcome: claimed (a retry handed out) or skipped (another node or a runtime had it)',
      labelNames: ['outcome'],
    });
    for (const outcome of ['claimed', 'skipped']) this.retryClaims.inc({ outcome }, 0);
  }

  /** Runs one lifecycle call and counts its outcome. */
  async track<T>(operation: LifecycleOperation, work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.operations.inc({ operation, outcome: 'ok' });
      return result;
    } catch (error) {
      this.operations.inc({ operation, outcome: outcomeOf(error) });
      throw error;
    }
  }

  /** What a job run reported (see the jobs' counts). */
  jobFinished(name: InstanceJobName, counts: Record<string, number>): void {
    if (name === 'long-running') this.longRunning.set(counts.emitted ?? 0);
    if (name === 'retry') {
      this.retryClaims.inc({ outcome: 'claimed' }, counts.claimed ?? 0);
      this.retryClaims.inc({ outcome: 'skipped' }, counts.skipped ?? 0);
    }
  }
}
