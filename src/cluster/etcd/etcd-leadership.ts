import { Logger } from '@nestjs/common';
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { messageOf } from '../../common/errors/error-message';
import { type EventBus } from '../../common/events/event-bus';
import { ClusterErrorCode } from '../cluster.errors';
import { Leadership, type LeaderView } from '../leadership';
import type { EtcdKeys } from './etcd-keys';
import type { LeaseKeeper } from './lease-keeper';

/** What a fenced etcd transaction compares: the leader key still has the revision this node created it at. */
export interface LeaderFence {
  leaderKey: string;
  createRevision: string;
}

/** Work a node does between winning the key and acting as leader (re-reading the topology). */
export type BeforeLeading = () => Promise<void>;

/**
 * Leader election on one etcd key held with this node's lease. A campaign is a
 * transaction: create the key if nobody holds it, else read who does. It runs after
 * every renewal (cheap, and it heals anything a watch missed) and at once when the key is
 * deleted (the leader stopped, or its lease expired).
 *
 * This node leads while it holds the key AND its lease deadline has not passed
 * (LeaseKeeper): a node paused or cut off past its deadline stops acting before etcd
 * even expires its key. The key's create revision is the fencing token every topology
 * write compares.
 */
export class EtcdLeadership extends Leadership {
  readonly mode = 'etcd' as const;
  private readonly logger = new Logger('Cluster');
  /** Create revision of the leader key this node holds; null when it holds none. */
  private heldRevision: string | null = null;
  /** True once the before-leading work finished for the key held now. */
  private prepared = false;
  private preparing = false;
  private known: LeaderView | null = null;
  private leading = false;
  private campaigning = false;
  private stopped = false;
  private watcher?: Watcher;
  private rewatchTimer?: NodeJS.Timeout;
  private readonly leadingListeners: ((leading: boolean) => void)[] = [];
  private readonly beforeLeading: BeforeLeading[] = [];

  constructor(
    private readonly client: Etcd3,
    private readonly keys: EtcdKeys,
    private readonly keeper: LeaseKeeper,
    readonly nodeId: string,
    private readonly address: string,
    private readonly events: EventBus,
  ) {
    super();
  }

  isLeader(): boolean {
    return this.heldRevision !== null && this.prepared && this.keeper.valid();
  }

  /**
   * Who leads as this node last heard; null once it has had no contact with etcd for longer
   * than the lease: the key it heard of may have expired since, and a follower must not
   * forward to a node that may have stopped leading (or be cut off itself).
   */
  leader(): LeaderView | null {
    if (this.keeper.msSinceContact() > this.keeper.ttlMs) return null;
    return this.known;
  }

  onLeadingChange(listener: (leading: boolean) => void): void {
    this.leadingListeners.push(listener);
  }

  /** Runs before this node starts acting as leader, each time it wins the key. */
  prepareWith(work: BeforeLeading): void {
    this.beforeLeading.push(work);
  }

  /** The fence of a topology write; throws unless this node leads now. */
  fence(action: string): LeaderFence {
    this.assertLeader(action);
    return { leaderKey: this.keys.leader, createRevision: this.heldRevision! };
  }

  /** Never waits for etcd to answer: a node must start (and serve reads) while etcd is down. */
  async start(): Promise<void> {
    this.keeper.onRenewed(({ newLease }) => {
      if (newLease) this.heldRevision = null;
      void this.campaign();
    });
    this.keeper.onFailed(() => this.noticeChange());
    this.watchLeaderKey();
    if (this.keeper.current) await this.campaign();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.rewatchTimer);
    const watcher = this.watcher;
    this.watcher = undefined;
    if (watcher) await cancelWatcher(watcher);
  }

  /**
   * Follows the leader key. watcher(), not create(): create() waits for etcd's first answer,
   * which never comes while etcd is down; the client connects (and reconnects) the watcher
   * on its own. etcd cancels a watch it cannot resume (its revision was compacted): then a
   * campaign re-reads the key and a new watch starts. The campaign after every renewal
   * also catches up with anything a silent watch missed.
   */
  private watchLeaderKey(): void {
    if (this.stopped) return;
    const watcher = this.client.watch().key(this.keys.leader).watcher();
    this.watcher = watcher;
    watcher.on('put', (kv) => this.heard(kv));
    watcher.on('delete', () => {
      this.heard(null);
      void this.campaign();
    });
    watcher.on('error', (error: Error) => {
      if (this.stopped || this.watcher !== watcher) return;
      this.logger.warn({
        msg: 'the leader key watch was cancelled; re-reading and watching again',
        err: messageOf(error),
      });
      this.watcher = undefined;
      void this.campaign();
      // Not at once: a watch etcd keeps refusing must not become a busy loop.
      this.rewatchTimer = setTimeout(() => this.watchLeaderKey(), REWATCH_DELAY_MS);
    });
  }

  /** Takes the key if free; otherwise learns who holds it. Never throws: the next renewal tries again. */
  async campaign(): Promise<void> {
    const lease = this.keeper.current;
    if (this.campaigning || !lease) return;
    this.campaigning = true;
    try {
      const leaseId = await lease.grant();
      const mine: LeaderView = { nodeId: this.nodeId, address: this.address, since: new Date().toISOString() };
      const result = await this.client
        .if(this.keys.leader, 'Create', '==', 0)
        .then(lease.put(this.keys.leader).value(JSON.stringify(mine)))
        .else(this.client.get(this.keys.leader))
        .commit();
      if (result.succeeded) {
        this.heldRevision = String(result.header.revision);
        this.heard(null, mine);
      } else {
        const kv = result.responses[0]?.response_range?.kvs?.[0];
        const holder = kv ? parseLeader(kv) : null;
        // Still this node's key (a renewal failed, then came back in time): it still leads.
        this.heldRevision =
          kv && holder?.nodeId === this.nodeId && String(kv.lease) === leaseId ? kv.create_revision : null;
        this.heard(kv ?? null);
      }
    } catch (error) {
      this.logger.debug({ msg: 'campaign failed', err: messageOf(error) });
    } finally {
      this.campaigning = false;
      this.noticeChange();
    }
  }

  /** Records who leads as etcd says, and tells the app when that changed. */
  private heard(kv: IKeyValue | null, view?: LeaderView): void {
    const next = view ?? (kv ? parseLeader(kv) : null);
    const previous = this.known;
    this.known = next;
    if (previous?.nodeId === next?.nodeId) return;
    this.logger.log({
      msg: 'cluster leader changed',
      leader: next?.nodeId ?? null,
      previous: previous?.nodeId ?? null,
    });
    this.events.emit('cluster.leader-changed', {
      leader: next?.nodeId ?? null,
      leaderAddress: next?.address ?? null,
      previous: previous?.nodeId ?? null,
      node: this.nodeId,
    });
  }

  /** Compares "leads now" with what was last reported, preparing first when this node just won. */
  private noticeChange(): void {
    if (this.heldRevision === null) this.prepared = false;
    if (this.heldRevision !== null && !this.prepared && this.keeper.valid()) {
      void this.prepare();
      return;
    }
    const leading = this.isLeader();
    if (leading === this.leading) return;
    this.leading = leading;
    this.logger.warn({ msg: leading ? 'this node leads the cluster' : 'this node stopped leading', node: this.nodeId });
    for (const listener of this.leadingListeners) listener(leading);
  }

  private async prepare(): Promise<void> {
    if (this.preparing) return;
    this.preparing = true;
    try {
      for (const work of this.beforeLeading) await work();
      this.prepared = this.heldRevision !== null;
    } catch (error) {
      this.logger.warn({ msg: 'could not prepare to lead; trying again at the next renewal', err: messageOf(error) });
    } finally {
      this.preparing = false;
    }
    this.noticeChange();
  }
}

/** The pause before watching again after etcd cancelled a watch. */
export const REWATCH_DELAY_MS = 500;

/** How long a shutdown waits for etcd to confirm a watch's cancellation (the client is closed next anyway). */
const CANCEL_WAIT_MS = 1000;

/** Cancels a watch without waiting on an etcd that does not answer. */
export async function cancelWatcher(watcher: Watcher): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    watcher.cancel().catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS))),
  ]);
  clearTimeout(timer);
}

function parseLeader(kv: IKeyValue): LeaderView | null {
  try {
    const value = JSON.parse(kv.value.toString()) as Partial<LeaderView>;
    return typeof value.nodeId === 'string' && typeof value.address === 'string'
      ? { nodeId: value.nodeId, address: value.address, since: String(value.since ?? '') }
      : null;
  } catch {
    return null;
  }
}

/** The error a fenced write throws when etcd refused its comparison. */
export function topologyConflict(detail: string): DomainError {
  return new DomainError(ClusterErrorCode.TopologyConflict, ErrorKind.Conflict, detail);
}
