import { Injectable, Logger } from '@nestjs/common';
import { EventBus } from '../../common/events/event-bus';
import { Clock } from '../../common/time/clock';
import type { PrimaryHeartbeat } from '../probes/server-probe';
import { gtidUnion } from './gtid-coverage';

/** One heartbeat round as the tracker needs it. */
export interface AcknowledgementRound {
  primary: string;
  epoch: number;
  /** This round's answer; null when the primary did not answer (nothing is learnt from a stale one). */
  heartbeat: PrimaryHeartbeat | null;
  /** Gtid_IO_Pos of every standby read this round (unreachable ones left out). */
  received: string[];
}

/** Semi-sync on the primary as the heartbeats saw it; the accessor a metrics module reads. */
export interface SemiSyncView {
  primary: string | null;
  /** Rpl_semi_sync_master_status at the last heartbeat; null before the first one. */
  active: boolean | null;
  /** When `active` last changed (or was first seen). */
  since: string | null;
  /** Rpl_semi_sync_master_no_tx at the last heartbeat. */
  unacknowledgedCommits: number | null;
}

/**
 * The position the zero-loss guard requires of a candidate: every transaction the current
 * primary may have acknowledged to a client, as far as the heartbeats can know it.
 *
 * MariaDB has no status variable naming the last acknowledged GTID, so it is bounded from
 * what is observable, accumulated over the primary's life (reset when the primary changes):
 *
 * - With semi-sync active (AFTER_SYNC or AFTER_COMMIT), a commit is answered only after a
 *   standby acknowledged it, and a standby acknowledges only once the transaction is in
 *   its relay log, its Gtid_IO_Pos updated. So everything acknowledged before a standby's
 *   status was read is within the union of the standbys' received positions read then.
 *   Accumulating that union also keeps what a standby received before it restarted its IO
 *   thread (which may drop its relay log).
 * - A commit that went through without an acknowledgement (Rpl_semi_sync_master_no_tx
 *   grew, or semi-sync was off at this heartbeat or the previous one) may have been
 *   answered with nothing on any standby: then the primary's whole gtid_binlog_pos, read
 *   after no_tx, is added. Likewise at the first heartbeat: what happened before it is
 *   unknown.
 *
 * What it cannot know: a commit that went through without acknowledgement after the last
 * heartbeat answered, and an acknowledgement given by a semi-sync replica that is not one
 * of the configured standbys. The failover adds the standbys' positions read at its start.
 */
@Injectable()
export class AcknowledgedPosition {
  private readonly logger = new Logger('ZeroLossGuard');
  private primary: string | null = null;
  private required = '';
  private active: boolean | null = null;
  private since: string | null = null;
  private noTx: number | null = null;
  /** Why the last primary-side addition was made, for the step detail. */
  private asyncNote: string | null = null;

  constructor(
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  /** The position a candidate must hold; '' when nothing is known. */
  get requiredPosition(): string {
    return this.required;
  }

  /** Why the primary's binlog position was last taken in (semi-sync off, a commit unacknowledged), or null. */
  get lastAsyncReason(): string | null {
    return this.asyncNote;
  }

  semiSync(): SemiSyncView {
    return { primary: this.primary, active: this.active, since: this.since, unacknowledgedCommits: this.noTx };
  }

  observe(round: AcknowledgementRound): void {
    if (round.primary !== this.primary) this.reset(round.primary);
    this.noteReceived(round.received);
    const heartbeat = round.heartbeat;
    if (!heartbeat) return;
    const first = this.active === null;
    const wasActive = this.active;
    const noTxGrew =
      heartbeat.semiSyncUnacknowledgedCommits !== undefined &&
      this.noTx !== null &&
      heartbeat.semiSyncUnacknowledgedCommits > this.noTx;
    const reason = first
      ? 'first heartbeat of this primary: earlier commits are not known to be acknowledged'
      : !heartbeat.semiSyncActive || !wasActive
        ? 'semi-sync was off: commits were answered without a standby'
        : noTxGrew
          ? 'a commit went through without a standby acknowledgement (semi-sync timed out)'
          : null;
    if (reason) this.takePrimaryPosition(heartbeat.gtidBinlogPosition, reason);
    this.noTx = heartbeat.semiSyncUnacknowledgedCommits ?? this.noTx;
    if (first || wasActive !== heartbeat.semiSyncActive) this.since = this.clock.now().toISOString();
    this.active = heartbeat.semiSyncActive;
    if (!first && wasActive !== heartbeat.semiSyncActive) this.announce(round, heartbeat.semiSyncActive);
  }

  /** Received positions read outside the heartbeat (the failover's own reads). */
  noteReceived(positions: string[]): void {
    const known = positions.map((p) => p.trim()).filter(Boolean);
    if (known.length > 0) this.required = gtidUnion(this.required, ...known);
  }

  private takePrimaryPosition(position: string, reason: string): void {
    if (!position.trim()) return;
    this.required = gtidUnion(this.required, position);
    this.asyncNote = `${reason} (primary at ${position}, ${this.clock.now().toISOString()})`;
  }

  private announce(round: AcknowledgementRound, active: boolean): void {
    const message = active
      ? 'semi-synchronous replication is active again on the primary'
      : 'semi-synchronous replication switched off on the primary: commits no longer wait for a standby, a failover can lose them';
    if (active) this.logger.log({ msg: message, primary: round.primary });
    else this.logger.warn({ msg: message, primary: round.primary });
    this.events.emit('db.semi-sync-changed', { primary: round.primary, epoch: round.epoch, active });
  }

  private reset(primary: string): void {
    this.primary = primary;
    this.required = '';
    this.active = null;
    this.since = null;
    this.noTx = null;
    this.asyncNote = null;
  }
}
