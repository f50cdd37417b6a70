import { Logger } from '@nestjs/common';
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { messageOf } from '../../common/errors/error-message';
import type { TopologyFile } from '../../database/topology/topology-file';
import { type TopologyState, parseTopologyState } from '../../database/topology/topology-state';
import { TopologyStore } from '../../database/topology/topology-store';
import { ClusterErrorCode } from '../cluster.errors';
import type { EtcdKeys } from './etcd-keys';
import { type EtcdLeadership, topologyConflict } from './etcd-leadership';

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
      const mirrored = this.mirror.read();
      this.logger.warn({
        msg: 'etcd is out of reach: using the last topology this node saw until it answers',
        err: messageOf(error),
        mirror: this.mirror.path,
        epoch: mirrored?.epoch ?? null,
      });
      return mirrored;
    }
    if (!kv) return this.seedFromMirror();
    return this.accept(kv);
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
    // From right after the last read, not from whenever the watch is established: a change
    // made between load() and now is delivered instead of lost. Should that revision be
    // compacted already (etcd refuses the watch), it starts from now, as it did before.
    const after = this.readRevision === null ? undefined : String(this.readRevision + 1n);
    void this.follow(listener, after)
      .catch(() => this.follow(listener, undefined))
      .catch((error: unknown) =>
        this.logger.error({ msg: 'could not watch the topology in etcd', err: messageOf(error) }),
      );
  }

  /** Cancels the watch (shutdown). */
  async stop(): Promise<void> {
    await this.watcher?.cancel().catch(() => undefined);
  }

  private async follow(listener: (state: TopologyState) => void, startRevision: string | undefined): Promise<void> {
    const builder = this.client.watch().key(this.keys.topology);
    if (startRevision !== undefined) builder.startRevision(startRevision);
    const watcher = await builder.create();
    this.watcher = watcher;
    watcher.on('put', (kv) => {
      try {
        listener(this.accept(kv));
      } catch (error) {
        this.logger.error({ msg: 'ignored an unreadable topology in etcd', err: messageOf(error) });
      }
    });
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

  /** An empty etcd: the cluster's first node brings the topology its file recorded (single-node history). */
  private async seedFromMirror(): Promise<TopologyState | null> {
    const local = this.mirror.read();
    if (!local) return null;
    const created = await this.client
      .if(this.keys.topology, 'Create', '==', 0)
      .then(this.client.put(this.keys.topology).value(JSON.stringify(local)))
      .commit();
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
    return this.load();
  }

  private async writeMirror(state: TopologyState): Promise<void> {
    await this.mirror
      .write(state)
      .catch((error: unknown) =>
        this.logger.warn({ msg: 'could not mirror the topology to the local file', err: messageOf(error) }),
      );
  }
}
