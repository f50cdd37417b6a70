import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { EventBus } from '../../common/events/event-bus';
import { AppConfig } from '../../config/app-config';
import { FailoverErrorCode } from '../failover.errors';
import type { ServerAddress } from '../probes/server-probe';
import { ServerProbe } from '../probes/server-probe';
import { type CandidateChoice, type CandidateInput, chooseCandidate } from '../promotion/candidate';
import { AcknowledgedPosition } from './acknowledged-position';
import { gtidCovers, gtidMissing } from './gtid-coverage';

/** How often a waiting candidate's received position is read again. */
const POLL_MS = 100;

export type GuardDecision =
  | { kind: 'covered' }
  | { kind: 'wait'; missing: string }
  /** The wait is over and FAILOVER_ALLOW_LOSS=true: promote, reporting `missing`. */
  | { kind: 'promote-with-loss'; missing: string }
  /** The wait is over and loss is not allowed: the failover fails. */
  | { kind: 'refuse'; missing: string };

/** The guard's decision for one reading of the candidate's received position; pure, for the tests. */
export function decide(input: {
  required: string;
  received: string;
  waitedMs: number;
  lossWaitMs: number;
  allowLoss: boolean;
}): GuardDecision {
  if (gtidCovers(input.received, input.required)) return { kind: 'covered' };
  const missing = gtidMissing(input.received, input.required);
  if (input.waitedMs < input.lossWaitMs) return { kind: 'wait', missing };
  return input.allowLoss ? { kind: 'promote-with-loss', missing } : { kind: 'refuse', missing };
}

/**
 * chooseCandidate(), preferring a standby that already holds `required`: among those the
 * most advanced, otherwise the most advanced of all (which then waits).
 */
export function chooseCoveringCandidate(standbys: CandidateInput[], required: string): CandidateChoice {
  const covering = standbys.filter((s) => s.status && gtidCovers(s.status.gtidIoPosition, required));
  const choice = covering.length > 0 ? chooseCandidate(covering) : { key: null };
  return choice.key !== null ? choice : chooseCandidate(standbys);
}

/**
 * The zero-loss guard: a failover step between choosing the candidate and stopping its IO
 * thread. A candidate that has not received every transaction the primary may have
 * acknowledged (AcknowledgedPosition) is not promoted until it has (its IO thread keeps
 * running: in-flight data, or an old primary restarted within the wait, can still reach
 * it) or until FAILOVER_LOSS_WAIT_MS has passed. Then, with FAILOVER_ALLOW_LOSS=true, it is
 * promoted and the transactions it lacks are reported (db.possible-loss, the step's
 * detail); otherwise the step fails, and with it the failover.
 */
@Injectable()
export class ZeroLossGuard {
  private readonly logger = new Logger('ZeroLossGuard');

  constructor(
    private readonly config: AppConfig,
    private readonly probe: ServerProbe,
    private readonly acknowledged: AcknowledgedPosition,
    private readonly events: EventBus,
  ) {}

  /** The failover's candidate choice: every standby's received position counts as possibly acknowledged. */
  choose(standbys: CandidateInput[]): CandidateChoice {
    this.acknowledged.noteReceived(standbys.flatMap((s) => (s.status ? [s.status.gtidIoPosition] : [])));
    return chooseCoveringCandidate(standbys, this.acknowledged.requiredPosition);
  }

  /** The step's work: resolves with its detail, throws LossPossible when the candidate may not be promoted. */
  async awaitAcknowledged(failoverId: string, candidate: ServerAddress): Promise<string> {
    const required = this.acknowledged.requiredPosition;
    if (!required) return 'no acknowledged position known (no heartbeat of this primary answered)';
    const { lossWaitMs, allowLoss } = this.config.failover;
    const started = performance.now();
    for (;;) {
      const received = (await this.probe.replicaStatus(candidate))?.gtidIoPosition ?? '';
      const waitedMs = Math.round(performance.now() - started);
      const decision = decide({ required, received, waitedMs, lossWaitMs, allowLoss });
      if (decision.kind === 'covered')
        return `${candidate.key} received ${received}, holding the acknowledged position ${required}${waitedMs >= POLL_MS ? ` after ${waitedMs} ms` : ''}`;
      if (decision.kind === 'wait') {
        await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, lossWaitMs - waitedMs)));
        continue;
      }
      const why = this.acknowledged.lastAsyncReason;
      const lacking =
        `${candidate.key} received ${received || 'nothing'} but the primary may have acknowledged up to ${required}: ` +
        `possibly lost ${decision.missing} (waited ${waitedMs} ms, FAILOVER_LOSS_WAIT_MS=${lossWaitMs})${why ? `; ${why}` : ''}`;
      if (decision.kind === 'refuse')
        throw new DomainError(
          FailoverErrorCode.LossPossible,
          ErrorKind.Conflict,
          `${lacking}. Not promoted (FAILOVER_ALLOW_LOSS=false): bring the old primary back, or accept the loss`,
        );
      this.logger.error({ msg: 'promoting a candidate that may lack acknowledged transactions', failoverId, lacking });
      this.events.emit('db.possible-loss', {
        id: failoverId,
        candidate: candidate.key,
        acknowledged: required,
        received,
        waitedMs,
      });
      return `FAILOVER_ALLOW_LOSS=true: promoted anyway; ${lacking}`;
    }
  }
}
