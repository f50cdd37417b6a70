import { BeforeApplicationShutdown, Injectable, MessageEvent } from '@nestjs/common';
import { Observable, Subject, concat, defer, interval, map, merge, of, takeUntil } from 'rxjs';
import { AppEventMap } from '../common/events/app-events';
import { OnAppEvent } from '../common/events/event-bus';
import { DatabaseTopology } from '../database/topology/database-topology';

type StreamedEvent = keyof Pick<
  AppEventMap,
  | 'db.primary-suspect'
  | 'db.failover-started'
  | 'db.primary-changed'
  | 'db.failover-failed'
  | 'db.old-primary-fenced'
  | 'db.semi-sync-changed'
  | 'db.possible-loss'
  | 'db.replica-configured'
  | 'cluster.leader-changed'
  | 'cluster.etcd-lost'
  | 'cluster.etcd-regained'
>;

/** Proxies drop idle streams; a comment-only line every 15 s keeps them open. */
const KEEPALIVE_MS = 15_000;

/**
 * Feeds GET /api/v1/events: every failover event as it happens, each with the epoch and
 * the primary at the time it is sent, after a first `topology` event so a client that
 * (re)connects knows where to write without waiting for the next change.
 */
@Injectable()
export class EventStreamService implements BeforeApplicationShutdown {
  private readonly events = new Subject<MessageEvent>();
  /** Streams never end on their own: shutdown ends them, or it would wait for every client. */
  private readonly closing = new Subject<void>();
  private sequence = 0;

  constructor(private readonly topology: DatabaseTopology) {}

  stream(): Observable<MessageEvent> {
    const first = defer(() => of(this.message('topology', {})));
    const keepalive = interval(KEEPALIVE_MS).pipe(map((): MessageEvent => ({ type: 'keepalive', data: {} })));
    return merge(concat(first, this.events), keepalive).pipe(takeUntil(this.closing));
  }

  beforeApplicationShutdown(): void {
    this.closing.next();
    this.closing.complete();
  }

  @OnAppEvent('db.primary-suspect')
  onSuspect(payload: AppEventMap['db.primary-suspect']): void {
    this.publish('db.primary-suspect', payload);
  }

  @OnAppEvent('db.failover-started')
  onStarted(payload: AppEventMap['db.failover-started']): void {
    this.publish('db.failover-started', payload);
  }

  @OnAppEvent('db.primary-changed')
  onChanged(payload: AppEventMap['db.primary-changed']): void {
    this.publish('db.primary-changed', payload);
  }

  @OnAppEvent('db.failover-failed')
  onFailed(payload: AppEventMap['db.failover-failed']): void {
    this.publish('db.failover-failed', payload);
  }

  @OnAppEvent('db.old-primary-fenced')
  onFenced(payload: AppEventMap['db.old-primary-fenced']): void {
    this.publish('db.old-primary-fenced', payload);
  }

  @OnAppEvent('db.semi-sync-changed')
  onSemiSyncChanged(payload: AppEventMap['db.semi-sync-changed']): void {
    this.publish('db.semi-sync-changed', payload);
  }

  @OnAppEvent('db.possible-loss')
  onPossibleLoss(payload: AppEventMap['db.possible-loss']): void {
    this.publish('db.possible-loss', payload);
  }

  @OnAppEvent('db.replica-configured')
  onReplicaConfigured(payload: AppEventMap['db.replica-configured']): void {
    this.publish('db.replica-configured', payload);
  }

  @OnAppEvent('cluster.leader-changed')
  onLeaderChanged(payload: AppEventMap['cluster.leader-changed']): void {
    this.publish('cluster.leader-changed', payload);
  }

  @OnAppEvent('cluster.etcd-lost')
  onEtcdLost(payload: AppEventMap['cluster.etcd-lost']): void {
    this.publish('cluster.etcd-lost', payload);
  }

  @OnAppEvent('cluster.etcd-regained')
  onEtcdRegained(payload: AppEventMap['cluster.etcd-regained']): void {
    this.publish('cluster.etcd-regained', payload);
  }

  private publish<K extends StreamedEvent>(name: K, payload: AppEventMap[K]): void {
    this.events.next(this.message(name, payload));
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
