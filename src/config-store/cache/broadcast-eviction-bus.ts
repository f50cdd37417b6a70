import { Logger } from '@nestjs/common';
import { messageOf } from '../../common/errors/error-message';
import {
  type CacheEviction,
  CacheEvictionBus,
  type EvictionHandler,
  type LocalEviction,
  parseCacheEviction,
} from './cache-eviction-bus';

/**
 * Moves strings between nodes: every node hears every message, its own included, in the
 * order they were sent (an etcd watch on one key delivers every revision in order).
 */
export interface EvictionTransport {
  readonly description: string;
  send(message: string): Promise<void>;
  /**
   * Starts delivering messages; resolves once listening. `onMissed` says that messages may
   * have been lost (etcd compacted past the watch's revision while it was away): the
   * transport listens again from now.
   */
  listen(onMessage: (message: string) => void, onMissed: (reason: string) => void): Promise<void>;
  close(): Promise<void>;
}

/** Evictions kept for resending beyond this many collapse into one clear-all. */
const MAX_UNSENT = 100;

export interface ResendPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
}

const RESEND: ResendPolicy = { firstDelayMs: 1000, maxDelayMs: 10_000 };

/**
 * The bus over a transport every node hears: stamps this node's id on what it sends, drops
 * its own messages when they come back, and hands the others' to the handlers one at a time
 * in order. A handler only evicts locally and never publishes, so an eviction travels once.
 *
 * An eviction that could not be sent is still rejected (the caller logs it) but also kept
 * and resent until the transport takes it. The cache renews an entry on every hit, so a hot
 * entry never expires by itself: without the resend, another node would serve the old
 * config for as long as it is read. Evictions are deletions, so one arriving late, or after
 * a later one, does no harm: at worst a read misses once more.
 */
export class BroadcastEvictionBus extends CacheEvictionBus {
  private readonly logger = new Logger('ConfigCache');
  private readonly handlers: EvictionHandler[] = [];
  private listening: Promise<void> | null = null;
  /** Handlers run one eviction after another: a clear must not overtake the eviction before it. */
  private delivered: Promise<void> = Promise.resolve();
  private unsent: CacheEviction[] = [];
  private resendTimer: NodeJS.Timeout | null = null;
  /** One resend loop at a time: two would both send the first eviction and both drop one. */
  private resending = false;
  private resendDelayMs: number;
  private closed = false;

  constructor(
    private readonly transport: EvictionTransport,
    readonly nodeId: string,
    private readonly resend: ResendPolicy = RESEND,
  ) {
    super();
    this.resendDelayMs = resend.firstDelayMs;
  }

  /** Evictions waiting to be resent (for tests and logs). */
  get unsentCount(): number {
    return this.unsent.length;
  }

  get description(): string {
    return this.transport.description;
  }

  async publish(eviction: LocalEviction): Promise<void> {
    const message: CacheEviction = {
      origin: this.nodeId,
      logicId: eviction.logicId,
      ...(eviction.keys ? { keys: eviction.keys } : {}),
      at: new Date().toISOString(),
    };
    try {
      await this.transport.send(JSON.stringify(message));
    } catch (error) {
      this.keepForResend(message);
      throw error;
    }
  }

  subscribe(handler: EvictionHandler): Promise<void> {
    this.handlers.push(handler);
    this.listening ??= this.transport.listen(
      (message) => this.receive(message),
      (reason) => this.missed(reason),
    );
    return this.listening;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.resendTimer) clearTimeout(this.resendTimer);
    if (this.unsent.length > 0)
      this.logger.warn({
        msg: 'shutting down with cache evictions the other nodes never got: they keep those entries until they expire',
        via: this.description,
        logicIds: [...new Set(this.unsent.map((eviction) => eviction.logicId))],
      });
    if (this.listening) await this.transport.close();
    await this.delivered;
  }

  private keepForResend(eviction: CacheEviction): void {
    this.unsent.push(eviction);
    // Unbounded outages must not grow memory: one clear stands for any number of evictions.
    if (this.unsent.length > MAX_UNSENT)
      this.unsent = [{ origin: this.nodeId, logicId: null, at: new Date().toISOString() }];
    this.scheduleResend();
  }

  private scheduleResend(): void {
    if (this.resendTimer || this.resending || this.closed) return;
    this.resendTimer = setTimeout(() => void this.resendUnsent(), this.resendDelayMs);
    this.resendTimer.unref();
  }

  private async resendUnsent(): Promise<void> {
    this.resendTimer = null;
    this.resending = true;
    let failed = false;
    while (this.unsent.length > 0 && !this.closed) {
      const next = this.unsent[0];
      try {
        await this.transport.send(JSON.stringify(next));
      } catch {
        failed = true;
        break;
      }
      // A collapse during the send replaced the list: what was sent is no longer in it.
      if (this.unsent[0] === next) this.unsent.shift();
      this.logger.log({
        msg: 'resent a cache eviction to the other nodes',
        via: this.description,
        logicId: next.logicId,
      });
    }
    this.resending = false;
    this.resendDelayMs = failed ? Math.min(this.resendDelayMs * 2, this.resend.maxDelayMs) : this.resend.firstDelayMs;
    if (failed) this.scheduleResend();
  }

  /** Called by the transport for every message: must never throw (etcd3 rethrows a listener's error outside any handler). */
  private receive(message: string): void {
    let eviction: CacheEviction;
    try {
      eviction = parseCacheEviction(message);
    } catch (error) {
      this.logger.warn({
        msg: 'ignored a value that is no cache eviction',
        on: this.description,
        err: messageOf(error),
      });
      return;
    }
    if (eviction.origin === this.nodeId) return;
    this.deliver(eviction);
  }

  /** Evictions may have been lost: nobody can say which, so everything goes. */
  private missed(reason: string): void {
    this.logger.warn({
      msg: 'cache evictions of other nodes may have been missed: clearing this node’s config cache',
      on: this.description,
      reason,
    });
    this.deliver({ origin: this.description, logicId: null, at: new Date().toISOString() });
  }

  private deliver(eviction: CacheEviction): void {
    this.delivered = this.delivered.then(async () => {
      for (const handler of this.handlers) {
        try {
          await handler(eviction);
        } catch (error) {
          this.logger.error({
            msg: 'could not apply another node’s cache eviction',
            origin: eviction.origin,
            logicId: eviction.logicId,
            err: messageOf(error),
          });
        }
      }
    });
  }
}
