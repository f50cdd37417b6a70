import { Logger } from '@nestjs/common';
import { EtcdLeaseInvalidError, type Etcd3, type Lease } from 'etcd3';
import { messageOf } from '../../common/errors/error-message';

export interface Renewal {
  /** ms since the previous contact with etcd (Infinity for the first one). */
  gapMs: number;
  /** A new lease was granted: the previous one expired, keys held with it are gone. */
  newLease: boolean;
  /**
   * The contact deadline (see contactRemainingMs) had passed when this answer came: etcd may
   * have expired the lease meanwhile, so a failover may have happened without this node.
   * True for the first contact and whenever a new lease was granted.
   */
  lapsed: boolean;
}

/** A monotonic clock in ms: it keeps counting while the process is stopped (SIGSTOP). */
export type MonotonicNow = () => number;

/**
 * Owns this node's etcd lease and the only clock that matters for acting: the deadline.
 *
 * etcd3 reports a lost lease late (its `lost` event comes after 2×TTL), so renewals are
 * sent here, one at a time, and the node's own deadline is the SEND time of the last
 * successful renewal + TTL − a safety margin: etcd cannot have expired the lease before
 * then. A failed renewal ends the deadline at once. Every success also counts as contact
 * with etcd, which the write gate reads: its contact deadline is the same send time + TTL
 * − margin, but a failed renewal does not end it (one unanswered call, an etcd member
 * restarting, must not stop writes), only time does.
 */
export class LeaseKeeper {
  private readonly logger = new Logger('Cluster');
  private lease?: Lease;
  private validUntil = 0;
  /** Send time of the last successful renewal + TTL − margin; unlike validUntil, kept when a renewal fails. */
  private contactUntil = -Infinity;
  private lastContact = -Infinity;
  private lastContactWall: Date | null = null;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private failing = false;
  private readonly renewedListeners: ((renewal: Renewal) => void)[] = [];
  private readonly failedListeners: (() => void)[] = [];

  constructor(
    private readonly client: Etcd3,
    readonly ttlMs: number,
    private readonly callTimeoutMs: number,
    private readonly now: MonotonicNow = () => performance.now(),
  ) {}

  /** etcd leases are whole seconds: rounded up, so etcd never expires one before the local deadline. */
  get ttlSeconds(): number {
    return Math.ceil(this.ttlMs / 1000);
  }

  /** Room for clock-rate drift and the renewal's own trip. */
  get marginMs(): number {
    return Math.max(250, Math.round(this.ttlMs * 0.1));
  }

  onRenewed(listener: (renewal: Renewal) => void): void {
    this.renewedListeners.push(listener);
  }

  onFailed(listener: () => void): void {
    this.failedListeners.push(listener);
  }

  /** ms of the lease this node can still rely on; 0 once a renewal failed or the deadline passed. */
  remainingMs(): number {
    return Math.max(0, this.validUntil - this.now());
  }

  valid(): boolean {
    return this.remainingMs() > 0;
  }

  msSinceContact(): number {
    return this.now() - this.lastContact;
  }

  /**
   * ms until etcd may have expired this node's lease, counted from the SEND time of the last
   * successful renewal (TTL − margin after it), whether later renewals failed or not; 0 or
   * less once that passed, -Infinity before the first contact. The write gate closes then:
   * no later than etcd can expire the lease, so never after another node could take over.
   */
  contactRemainingMs(): number {
    return this.contactUntil - this.now();
  }

  /** Within the contact deadline: etcd cannot have expired this node's lease yet. */
  inContact(): boolean {
    return this.contactRemainingMs() > 0;
  }

  get lastContactAt(): Date | null {
    return this.lastContactWall;
  }

  /** The current lease, for keys that must vanish with this node; undefined until one was granted. */
  get current(): Lease | undefined {
    return this.lease;
  }

  /** Grants the lease (one attempt, awaited: a node knows at start whether it reached etcd), then renews it. */
  async start(): Promise<void> {
    await this.renew();
  }

  /** Revokes the lease: this node's keys (leader, node entry) go at once, so another node takes over without waiting a TTL. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.validUntil = 0;
    await this.lease?.revoke({ deadline: Date.now() + this.callTimeoutMs }).catch(() => undefined);
  }

  /** One renewal (or grant); public so tests can drive it. */
  async renew(): Promise<void> {
    const sentAt = this.now();
    let newLease = false;
    try {
      if (!this.lease) {
        this.lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: false });
        newLease = true;
        await this.lease.grant();
      } else {
        await this.lease.keepaliveOnce({ deadline: Date.now() + this.callTimeoutMs });
      }
      // stop() ran while this renewal was on its way: the lease is revoked, nothing may rely on it.
      if (this.stopped) return;
      // Counted up to the answer, not the send: etcd was silent all that time (a renewal sent
      // just before the TTL but answered after it ends a gap longer than the TTL).
      const receivedAt = this.now();
      const gapMs = receivedAt - this.lastContact;
      // A new lease means the old one expired, deadline or not.
      const lapsed = receivedAt >= this.contactUntil || newLease;
      this.lastContact = receivedAt;
      this.lastContactWall = new Date();
      this.validUntil = sentAt + this.ttlMs - this.marginMs;
      this.contactUntil = this.validUntil;
      if (this.failing) this.logger.log({ msg: 'etcd reached again', newLease });
      this.failing = false;
      for (const listener of this.renewedListeners) listener({ gapMs, newLease, lapsed });
    } catch (error) {
      this.validUntil = 0;
      // Expired (a long pause, a partition longer than the TTL): start over with a new lease.
      if (error instanceof EtcdLeaseInvalidError || newLease) {
        this.lease?.release();
        this.lease = undefined;
      }
      if (!this.failing) this.logger.warn({ msg: 'etcd lease renewal failed', err: messageOf(error) });
      this.failing = true;
      for (const listener of this.failedListeners) listener();
    }
    this.schedule();
  }

  /** A quarter of the TTL between renewals; an eighth while failing, to come back quickly. */
  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const delay = Math.max(100, Math.floor(this.ttlMs / (this.failing ? 8 : 4)));
    this.timer = setTimeout(() => void this.renew(), delay);
  }
}
