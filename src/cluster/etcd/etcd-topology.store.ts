import { Logger } from '@nestjs/common';
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { messageOf } from '../../common/errors/error-message';
import type { TopologyFile } from '../../database/topology/topology-file';
import { type TopologyState, parseTopologyState } from '../../database/topology/topology-state';
import { TopologyStore } from '../../database/topology/topology-store';
import { ClusterErrorCode } from '../cluster.errors';
import type { EtcdKeys } from './etcd-keys';
import { type EtcdLeadership, REWATCH_DELAY_MS, cancelWatcher, topologyConflict } from './etcd-leadership';

/**
 * The topology in etcd, one JSON value under `<prefix>/topology`.
 *
 * - Writes are fenced: a transaction that compares the leader key's create revision (this
 *   node still holds the key it won) and the topology's mod revision (nobody changed it
 *   since this node read it). A node whose lease lapsed cannot write, whatever it believes.
 * - Every node mirrors what it reads into its topology.json. That file is the migration
 *   path from single-node mode (an empty etcd is seeded from it) and the fallback when etcd
 *   is out of reach at start: the node connects where the topology last was, and the write
 *   gate keeps it from writing until etcd answers again.
 */
export class EtcdTopologyStore extends TopologyStore {
  private readonly logger = new Logger('Cluster');
  /** The topology key's mod revision this node last saw; '0': the key does not exist. */
  private modRevision = '0';
  /** The etcd revision of the last read: the watch starts right after it. */
  private readRevision: bigint | null = null;
  /** Only the first load (at start) may fall back to the file. */
  private loaded = false;
  private watcher?: Watcher;
  private listener?: (state: TopologyState) => void;
  private stopped = false;
  private rewatchTimer?: NodeJS.Timeout;

  constructor(
    private readonly client: Etcd3,
    private readonly keys: EtcdKeys,
    private readonly leadership: EtcdLeadership,
    private readonly mirror: TopologyFile,
  ) {
    super();
  }

  get description(): string {
    return `etcd key ${this.keys.topology}`;
  }

  async load(): Promise<TopologyState | null> {
    const first = !this.loaded;
    this.loaded = true;
    return this.read(first);
  }

  private async read(first: boolean): Promise<TopologyState | null> {
    let kv: IKeyValue | undefined;
    try {
      const answer = await this.client.get(this.keys.topology).exec();
      kv = answer.kvs[0];
      this.readRevision = BigInt(answer.header.revision);
    } catch (error) {
      // A later load is a re-read (the write gate after a gap, a node about to lead): it must
      // learn what changed in etcd meanwhile, and the file only holds what this node saw last.
      if (!first)
        throw new DomainError(
          ClusterErrorCode.EtcdUnavailable,
          ErrorKind.Unavailable,
          `could not read the topology from etcd: ${messageOf(error)}`,
          { cause: error },
        );
      return this.fallBackToMirror(error);
    }
    if (!kv) return this.seedFromMirror(first);
    return this.accept(kv);
  }

  /** The first load without etcd: the node connects where the topology last was; its write gate stays closed. */
  private fallBackToMirror(error: unknown): TopologyState | null {
    const mirrored = this.mirror.read();
    this.logger.warn({
      msg: 'etcd is out of reach: using the last topology this node saw until it answers',
      err: messageOf(error),
      mirror: this.mirror.path,
      epoch: mirrored?.epoch ?? null,
    });
    return mirrored;
  }

  async save(next: TopologyState): Promise<void> {
    const value = JSON.stringify(next);
    const result =
      this.modRevision === '0'
        ? // The first state of a new cluster: anyone may create it, once.
          await this.client
            .if(this.keys.topology, 'Create', '==', 0)
            .then(this.client.put(this.keys.topology).value(value))
            .commit()
        : await this.fencedPut(value);
    if (!result.succeeded)
      throw topologyConflict(
        `the topology in etcd changed since this node read it (revision ${this.modRevision}), or this node no longer holds the leader key: nothing was written`,
      );
    this.modRevision = String(result.header.revision);
    await this.writeMirror(next);
  }

  watch(listener: (state: TopologyState) => void): void {
    this.listener = listener;
    // From right after the last read, not from whenever the watch is established: a change
    // made between load() and now is delivered instead of lost. Should that revision be
    // compacted already (etcd cancels the watch), it re-reads and watches from there.
    this.follow(this.readRevision === null ? undefined : String(this.readRevision + 1n));
  }

  /**
   * Reads the key and hands the listener a state newer than the last one this node saw, the
   * path a watch event takes. Called after every lease renewal: a cheap GET that delivers
   * what a broken or silent watch missed (a watch stream on a member cut off from quorum
   * stays silent, it is not closed). Throws when etcd does not answer.
   */
  async catchUp(): Promise<void> {
    if (!this.listener || this.stopped) return;
    const kv = (await this.client.get(this.keys.topology).exec()).kvs[0];
    if (kv && this.deliver(kv))
      this.logger.warn({
        msg: 'the topology watch missed a change; caught up by reading it',
        revision: kv.mod_revision,
      });
  }

  /** Cancels the watch (shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.rewatchTimer);
    const watcher = this.watcher;
    this.watcher = undefined;
    if (watcher) await cancelWatcher(watcher);
  }

  /**
   * watcher(), not create(): create() waits for etcd's first answer, which never comes while
   * etcd is down; the client connects (and reconnects, resuming after the last revision it
   * saw) the watcher on its own. A watch etcd cancels is followed by a re-read and a new watch.
   */
  private follow(startRevision: string | undefined): void {
    if (this.stopped) return;
    const builder = this.client.watch().key(this.keys.topology);
    if (startRevision !== undefined) builder.startRevision(startRevision);
    const watcher = builder.watcher();
    this.watcher = watcher;
    watcher.on('put', (kv) => void this.deliver(kv));
    // 'error' is a cancelled watch (its start revision was compacted), which the client does not resume.
    watcher.on('error', (error: Error) => {
      if (this.stopped || this.watcher !== watcher) return;
      this.watcher = undefined;
      this.logger.warn({
        msg: 'the topology watch was cancelled; re-reading and watching again',
        err: messageOf(error),
      });
      // Not at once: a watch etcd keeps refusing must not become a busy loop.
      this.rewatchTimer = setTimeout(() => void this.rewatch(), REWATCH_DELAY_MS);
    });
  }

  /** Reads the key (the listener gets a newer state) and watches from right after that read. */
  private async rewatch(): Promise<void> {
    let after: string | undefined;
    try {
      const answer = await this.client.get(this.keys.topology).exec();
      after = String(BigInt(answer.header.revision) + 1n);
      const kv = answer.kvs[0];
      if (kv) this.deliver(kv);
    } catch (error) {
      // Watching from now is all that is left; the catch-up after each renewal covers the gap.
      this.logger.warn({ msg: 'could not re-read the topology after its watch was cancelled', err: messageOf(error) });
    }
    this.follow(after);
  }

  /** A state from etcd, to the listener unless this node has seen it (or a newer one) already. */
  private deliver(kv: IKeyValue): boolean {
    if (!this.listener || BigInt(kv.mod_revision) <= BigInt(this.modRevision)) return false;
    try {
      this.listener(this.accept(kv));
      return true;
    } catch (error) {
      this.logger.error({ msg: 'ignored an unreadable topology in etcd', err: messageOf(error) });
      return false;
    }
  }

  private fencedPut(value: string) {
    const fence = this.leadership.fence('change the topology');
    return this.client
      .if(fence.leaderKey, 'Create', '==', fence.createRevision)
      .and(this.keys.topology, 'Mod', '==', this.modRevision)
      .then(this.client.put(this.keys.topology).value(value))
      .commit();
  }

  private accept(kv: IKeyValue): TopologyState {
    const state = parseTopologyState(kv.value.toString(), this.description);
    this.modRevision = String(kv.mod_revision);
    void this.writeMirror(state);
    return state;
  }

  /**
   * An empty etcd: the cluster's first node brings the topology its file recorded
   * (single-node history). At start an etcd that fails now is no reason not to start: the
   * file is used as when etcd is out of reach, and the write gate keeps the node from writing.
   */
  private async seedFromMirror(first: boolean): Promise<TopologyState | null> {
    const local = this.mirror.read();
    if (!local) return null;
    let created;
    try {
      created = await this.client
        .if(this.keys.topology, 'Create', '==', 0)
        .then(this.client.put(this.keys.topology).value(JSON.stringify(local)))
        .commit();
    } catch (error) {
      if (first) return this.fallBackToMirror(error);
      throw new DomainError(
        ClusterErrorCode.EtcdUnavailable,
        ErrorKind.Unavailable,
        `could not seed the topology in etcd: ${messageOf(error)}`,
        { cause: error },
      );
    }
    if (created.succeeded) {
      this.logger.warn({
        msg: 'seeded the cluster topology in etcd from this node’s topology file',
        file: this.mirror.path,
        epoch: local.epoch,
        primary: local.primary,
      });
      this.modRevision = String(created.header.revision);
      return local;
    }
    // Another node seeded it first: read what it stored.
    return this.read(first);
  }

  private async writeMirror(state: TopologyState): Promise<void> {
    await this.mirror
      .write(state)
      .catch((error: unknown) =>
        this.logger.warn({ msg: 'could not mirror the topology to the local file', err: messageOf(error) }),
      );
  }
}
