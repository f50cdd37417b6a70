import { BeforeApplicationShutdown, Injectable, MessageEvent, OnModuleInit } from '@nestjs/common';
import { Observable, Subject, concat, defer, interval, map, merge, of, takeUntil } from 'rxjs';
import { AppEventName } from '../common/events/app-events';
import { EventBus } from '../common/events/event-bus';
import { DatabaseTopology } from '../database/topology/database-topology';

/**
 * What the stream carries: the failover and cluster events clients re-point on, the
 * operations ones (rejoin, errant transactions, standby problems, semi-sync) and the
 * backups' progress, so the dashboard follows all of them live.
 */
export const STREAMED_EVENTS = [
  'db.primary-suspect',
  'db.failover-started',
  'db.primary-changed',
  'db.failover-failed',
  'db.old-primary-fenced',
  'db.failover-vetoed',
  'db.rejoined',
  'db.errant-transactions',
  'db.semi-sync-changed',
  'db.standby-problem',
  'db.replica-configured',
  'db.possible-loss',
  'cluster.leader-changed',
  'cluster.etcd-lost',
  'cluster.etcd-regained',
  'backup.started',
  'backup.succeeded',
  'backup.failed',
  'backup.verified',
  'backup.test-restore-failed',
] as const satisfies readonly AppEventName[];

/** Proxies drop idle streams; a comment-only line every 15 s keeps them open. */
const KEEPALIVE_MS = 15_000;

/**
 * Feeds GET /api/v1/events: every streamed event as it happens, each with the epoch and
 * the primary at the time it is sent, after a first `topology` event so a client that
 * (re)connects knows where to write without waiting for the next change.
 */
@Injectable()
export class EventStreamService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly events = new Subject<MessageEvent>();
  /** Streams never end on their own: shutdown ends them, or it would wait for every client. */
  private readonly closing = new Subject<void>();
  private readonly unsubscribe: (() => void)[] = [];
  private sequence = 0;

  constructor(
    private readonly topology: DatabaseTopology,
    private readonly bus: EventBus,
  ) {}

  onModuleInit(): void {
    for (const name of STREAMED_EVENTS)
      this.unsubscribe.push(this.bus.on(name, (payload) => this.events.next(this.message(name, payload))));
  }

  stream(): Observable<MessageEvent> {
    const first = defer(() => of(this.message('topology', {})));
    const keepalive = interval(KEEPALIVE_MS).pipe(map((): MessageEvent => ({ type: 'keepalive', data: {} })));
    return merge(concat(first, this.events), keepalive).pipe(takeUntil(this.closing));
  }

  beforeApplicationShutdown(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
    this.closing.next();
    this.closing.complete();
  }

  private message(type: string, payload: object): MessageEvent {
    const replicated = this.topology.replicated;
    return {
      id: String(++this.sequence),
      type,
      data: {
        ...payload,
        epoch: replicated ? this.topology.epoch : null,
        primary: replicated ? this.topology.primaryKey : null,
        sentAt: new Date().toISOString(),
      },
    };
  }
}
