import { type Logger } from '@nestjs/common';
import { messageOf } from '../../common/errors/error-message';
import type { FailoverStepRecord } from '../../database/topology/topology-state';
import { crashAfterStepForTests } from '../journal/crash-for-tests';

/** A step that failed; carries its name so the record and the event say where it stopped. */
export class FailoverStepError extends Error {
  constructor(
    readonly step: string,
    readonly causeError: unknown,
  ) {
    super(`${step}: ${messageOf(causeError)}`);
    this.name = 'FailoverStepError';
  }
}

interface StepOptions<T> {
  /** What the record says about a step that succeeded. */
  detail?: (result: T) => string;
  /** A best-effort step whose failure is the normal case: logged as a warning. */
  expectedToFail?: boolean;
}

/** Runs the steps of one failover in order, timing and logging each. */
export class StepRecorder {
  readonly steps: FailoverStepRecord[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly failoverId: string,
    private readonly now: () => Date = () => new Date(),
    /** Checked before every step, optional ones too: throws when this node may no longer act (it lost the leadership). */
    private readonly guard: () => void = () => undefined,
  ) {}

  /**
   * A failing step throws FailoverStepError, so a required step always has its result;
   * `optional` steps record the failure and go on (undefined). `expectedToFail` is for a
   * best-effort step that usually fails in a normal run (fencing a primary that is down):
   * its failure is logged as a warning, not as an error.
   */
  run<T>(name: string, work: () => Promise<T>, options?: StepOptions<T> & { optional?: false }): Promise<T>;
  run<T>(name: string, work: () => Promise<T>, options: StepOptions<T> & { optional: true }): Promise<T | undefined>;
  async run<T>(
    name: string,
    work: () => Promise<T>,
    options: StepOptions<T> & { optional?: boolean } = {},
  ): Promise<T | undefined> {
    const startedAt = this.now();
    const started = performance.now();
    try {
      this.guard();
    } catch (error) {
      this.record(name, startedAt, started, false, messageOf(error), false);
      throw new FailoverStepError(name, error);
    }
    try {
      const result = await work();
      const detail = options.detail?.(result);
      this.record(name, startedAt, started, true, detail, false);
      crashAfterStepForTests(name);
      return result;
    } catch (error) {
      const detail = messageOf(error);
      this.record(name, startedAt, started, false, detail, options.expectedToFail === true);
      if (options.optional) return undefined;
      throw new FailoverStepError(name, error);
    }
  }

  private record(
    name: string,
    startedAt: Date,
    started: number,
    ok: boolean,
    detail: string | undefined,
    expected: boolean,
  ): void {
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    this.steps.push({ name, startedAt: startedAt.toISOString(), durationMs, ok, ...(detail ? { detail } : {}) });
    const entry = {
      msg: `failover step ${name} ${ok ? 'done' : 'failed'}`,
      failoverId: this.failoverId,
      step: name,
      durationMs,
      detail,
    };
    if (ok) this.logger.log(entry);
    else if (expected) this.logger.warn(entry);
    else this.logger.error(entry);
  }
}
