import type { Logger } from '@nestjs/common';
import {
  type HeartbeatFailure,
  type RefusalConfirmation,
  confirmRefusals,
  judgeFastPath,
  probeSpacingMs,
} from './fast-evidence';
import type { PrimaryVerdict, StandbyView } from './primary-verdict';

interface Observation {
  reachable: boolean;
  failure?: HeartbeatFailure | null;
}

/**
 * The monitor's side of the fast path: when a heartbeat was refused, probe the primary
 * again inside the same tick (probeSpacingMs apart) until the refusals span the window,
 * then judge with fast-evidence.ts. A handshake within the window cancels (a restart) and
 * is logged. The tick lasts the window at most, about one heartbeat interval with the
 * defaults, so the misses of the full window keep their pace.
 */
export class FastPath<T extends Observation> {
  /** Replaced by tests, so they do not wait. */
  pause: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  constructor(
    private readonly windowMs: number,
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly now: () => number,
  ) {}

  get disabled(): boolean {
    return this.windowMs <= 0;
  }

  get spacingMs(): number {
    return probeSpacingMs(this.windowMs);
  }

  /**
   * null when the fast path does not apply to this observation (off, or not a refusal). A
   * connection the server closed (`lost`) is no evidence by itself: the primary is asked
   * again at once, on a fresh connection, and a refusal there starts the confirmation.
   */
  async confirm(first: T, probe: () => Promise<T>): Promise<RefusalConfirmation<T> | null> {
    if (this.disabled || first.reachable) return null;
    const start = first.failure === 'lost' ? await probe() : first;
    if (start.reachable || start.failure !== 'refused') {
      return start === first ? null : { outcome: 'broken', run: { refusals: 0, spanMs: 0 }, last: start };
    }
    const result = await confirmRefusals({
      first: start,
      probe,
      failureOf: (observation) => (observation.reachable ? null : (observation.failure ?? 'other')),
      windowMs: this.windowMs,
      sleep: (ms) => this.pause(ms),
      now: this.now,
    });
    if (result.outcome === 'broken') {
      this.logger.warn({
        msg: result.last.reachable
          ? 'the primary refused connections, then answered within the fast window (restarted?): no failover'
          : 'the primary refused connections, then failed otherwise: the full detection window applies',
        refusals: result.run.refusals,
        afterMs: Math.round(result.run.spanMs),
        failure: result.last.failure ?? null,
      });
    }
    return result;
  }

  judge(confirmation: RefusalConfirmation<T> | null, standbys: StandbyView[]): PrimaryVerdict | null {
    if (confirmation?.outcome !== 'refused') return null;
    return judgeFastPath(confirmation.run, standbys, { windowMs: this.windowMs });
  }
}
