import { Injectable, Logger } from '@nestjs/common';
import { Leadership } from '../../cluster';
import { EventBus } from '../../common/events/event-bus';
import { Clock } from '../../common/time/clock';
import { AppConfig } from '../../config/app-config';
import { DatabaseTopology } from '../../database/topology/database-topology';
import type { FailoverRecord, FailoverVeto } from '../../database/topology/topology-state';
import { FailoverHistoryService } from '../failover-history.service';
import { CommandResult, describeResult, succeeded } from './command-runner';
import { FailoverHooks } from './failover-hooks';

const HOOK = 'FAILOVER_PRE_HOOK';
/** A veto holds at least this long, even with FAILOVER_COOLDOWN_MS=0: no hook run at every heartbeat. */
export const MIN_VETO_HOLD_MS = 60_000;

/** A veto in force: which primary (at which epoch) it was about, until when, and what to say meanwhile. */
interface Hold {
  primary: string;
  epoch: number;
  until: number;
  reason: string;
}

/**
 * FAILOVER_PRE_HOOK, asked by the monitor (on the leader) when it is about to start an
 * automatic failover. Exit 0 lets it go; anything else (a non-zero exit, a timeout, a hook
 * that cannot start) vetoes it: nothing is changed, the veto is recorded in the failover
 * history (outcome `vetoed`, shown as `lastVeto` in the status) and `db.failover-vetoed` is
 * emitted.
 *
 * A veto holds for that suspicion episode, so the hook is not run at every heartbeat: it is
 * asked again only after FAILOVER_COOLDOWN_MS (at least 60 s), once the primary was seen healthy in between
 * (a new episode), or after an operator's POST /api/v1/failover/ack. The hold lives in this
 * process: a node that becomes leader asks the hook once more.
 *
 * A failover that resumes an interrupted one (it was let through before) is not asked
 * again; planned switchovers never ask (an operator decided).
 */
@Injectable()
export class PreFailoverGate {
  private readonly logger = new Logger('FailoverHooks');
  private hold: Hold | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly hooks: FailoverHooks,
    private readonly topology: DatabaseTopology,
    private readonly history: FailoverHistoryService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly leadership: Leadership,
  ) {}

  /** null: the failover may start; otherwise why not, for the status's blockedReason. */
  async check(reason: string): Promise<string | null> {
    return (await this.ask(reason)).veto;
  }

  /**
   * As check(), and whether the hook actually ran: it may have taken up to
   * FAILOVER_HOOK_TIMEOUT_MS, so the caller looks at the primary again before acting.
   */
  async ask(reason: string): Promise<{ veto: string | null; asked: boolean }> {
    if (!this.hooks.configured(HOOK)) return { veto: null, asked: false };
    const primary = this.topology.primaryKey;
    const epoch = this.topology.epoch;
    if (this.topology.state.pending?.oldPrimary === primary) return { veto: null, asked: false };
    const hold = this.hold;
    if (hold && hold.primary === primary && hold.epoch === epoch && this.clock.now().getTime() < hold.until)
      return { veto: hold.reason, asked: false };
    const startedAt = this.clock.now();
    const result = await this.hooks.run(HOOK, {
      event: 'pre-failover',
      kind: 'failover',
      failoverId: null,
      oldPrimary: primary,
      newPrimary: null,
      epoch,
      reason,
      step: null,
      clusterNode: this.leadership.mode === 'etcd' ? this.leadership.nodeId : null,
      at: startedAt.toISOString(),
    });
    if (!result || succeeded(result)) {
      this.hold = null;
      return { veto: null, asked: true };
    }
    return { veto: await this.veto(result, { primary, epoch, reason, startedAt }), asked: true };
  }

  /** The primary answered again, or an operator acknowledged: the next failover asks the hook again. */
  reset(): void {
    this.hold = null;
  }

  private async veto(
    result: CommandResult,
    context: { primary: string; epoch: number; reason: string; startedAt: Date },
  ): Promise<string> {
    const at = this.clock.now();
    const until = new Date(at.getTime() + Math.max(this.config.failover.cooldownMs, MIN_VETO_HOLD_MS));
    const outcome = describeResult(result, this.hooks.timeoutMs);
    const why = `${HOOK} ${outcome}`;
    this.hold = {
      primary: context.primary,
      epoch: context.epoch,
      until: until.getTime(),
      reason: `vetoed by ${why} at ${at.toISOString()}; asked again after ${until.toISOString()}, when the primary was seen healthy, or after POST /api/v1/failover/ack`,
    };
    const veto: FailoverVeto = {
      hook: HOOK,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      output: result.outputTail,
    };
    await this.history.record(vetoRecord(context, at, why, result, veto));
    this.logger.warn({ msg: 'automatic failover vetoed by the pre-failover hook', primary: context.primary, why });
    this.events.emit('db.failover-vetoed', {
      primary: context.primary,
      epoch: context.epoch,
      hook: HOOK,
      exitCode: result.exitCode,
      reason: why,
      at,
    });
    return this.hold.reason;
  }
}

function vetoRecord(
  context: { primary: string; epoch: number; reason: string; startedAt: Date },
  at: Date,
  why: string,
  result: CommandResult,
  veto: FailoverVeto,
): FailoverRecord {
  return {
    id: `vt-${context.startedAt.toISOString().replace(/[-:.]/g, '')}`,
    kind: 'failover',
    reason: context.reason,
    startedAt: context.startedAt.toISOString(),
    finishedAt: at.toISOString(),
    oldPrimary: context.primary,
    newPrimary: null,
    epoch: context.epoch,
    outcome: 'vetoed',
    steps: [
      {
        name: 'pre-hook',
        startedAt: context.startedAt.toISOString(),
        durationMs: result.durationMs,
        ok: false,
        detail: why,
      },
    ],
    error: `vetoed: ${why}${result.outputTail ? `: ${lastLines(result.outputTail)}` : ''}`,
    veto,
  };
}

/** The last lines of output, on one line, for the record's error text. */
function lastLines(output: string): string {
  return output.trim().split('\n').slice(-3).join(' | ').slice(-500);
}
