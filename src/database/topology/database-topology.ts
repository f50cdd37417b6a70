import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/time/clock';
import { AppConfig, MysqlDatabaseConfig } from '../../config/app-config';
import type { MysqlEndpoint } from '../../config/mysql-url';
import { serverKeyOf } from './server-key';
import { ServerKey, TopologyState, initialTopologyState } from './topology-state';
import { TopologyStore } from './topology-store';

export type ServerRole = 'primary' | 'standby' | 'fenced';

export interface TopologyServer {
  key: ServerKey;
  role: ServerRole;
  /** The app's account on this server, as configured. */
  endpoint: MysqlEndpoint;
}

/** A change of the topology made by another node, seen through the store's watch. */
export type TopologyListener = (next: TopologyState, previous: TopologyState) => void;

/**
 * Which server is the primary now. Configuration lists the servers; the store (the state
 * file, or etcd in cluster mode) says which one is primary and which are fenced, and wins
 * over DB_PRIMARY_URL once a failover has happened. Updates are persisted before they are
 * visible, one at a time. `ready()` must have resolved before the state is read: the
 * database module awaits it before it connects.
 */
@Injectable()
export class DatabaseTopology {
  private readonly logger = new Logger('DatabaseTopology');
  private readonly database?: MysqlDatabaseConfig;
  private current?: TopologyState;
  private persisted = false;
  private loading?: Promise<void>;
  private updates: Promise<unknown> = Promise.resolve();
  /** The state this node is storing now: its echo from the watch is not another node's change. */
  private saving: TopologyState | null = null;
  private readonly listeners: TopologyListener[] = [];

  constructor(
    config: AppConfig,
    private readonly store: TopologyStore,
    private readonly clock: Clock,
  ) {
    if (config.database.type !== 'mysql') return;
    this.database = config.database;
  }

  /** Loads the stored state once and starts following other nodes' changes; a no-op on SQLite. */
  ready(): Promise<void> {
    if (!this.database) return Promise.resolve();
    this.loading ??= this.store.load().then((saved) => {
      this.current = this.accept(saved);
      this.persisted = saved !== null;
      this.store.watch((state) => this.applyStored(state));
    });
    return this.loading;
  }

  /** Where the state is kept, for logs and `failover status`. */
  get storeDescription(): string {
    return this.store.description;
  }

  /** Called after every change another node made (the primary moved, a control changed). */
  onChange(listener: TopologyListener): void {
    this.listeners.push(listener);
  }

  /** Reads the store again (after etcd was out of reach, say); listeners hear of any change. */
  async refresh(): Promise<TopologyState> {
    const saved = await this.store.load();
    if (saved) this.applyStored(saved);
    return this.requireState();
  }

  /** False on SQLite: there is nothing to fail over. */
  get replicated(): boolean {
    return this.database !== undefined;
  }

  get state(): TopologyState {
    return this.requireState();
  }

  get epoch(): number {
    return this.requireState().epoch;
  }

  get primaryKey(): ServerKey {
    return this.requireState().primary;
  }

  /** Where the app connects now, with the app's account. */
  primaryEndpoint(): MysqlEndpoint {
    return this.endpointOf(this.primaryKey);
  }

  endpointOf(key: ServerKey): MysqlEndpoint {
    const found = this.configuredServers().find((endpoint) => serverKeyOf(endpoint) === key);
    if (!found) throw new Error(`server ${key} is not in DB_PRIMARY_URL / DB_STANDBY_URLS`);
    return found;
  }

  /** Every configured server with its role now. */
  servers(): TopologyServer[] {
    const state = this.requireState();
    return this.configuredServers().map((endpoint) => {
      const key = serverKeyOf(endpoint);
      const role: ServerRole = key === state.primary ? 'primary' : state.fenced.includes(key) ? 'fenced' : 'standby';
      return { key, role, endpoint };
    });
  }

  standbys(): TopologyServer[] {
    return this.servers().filter((server) => server.role === 'standby');
  }

  /** Writes the state as it is, so operators find the file from the first start on. */
  async ensurePersisted(): Promise<void> {
    if (this.persisted) return;
    await this.update((state) => state);
  }

  /** Applies a change: stored first, then visible. Changes run one at a time. */
  update(change: (state: TopologyState) => TopologyState): Promise<TopologyState> {
    const next = this.updates.then(async () => {
      const updated = { ...change(structuredClone(this.requireState())), updatedAt: this.clock.now().toISOString() };
      this.saving = updated;
      try {
        await this.store.save(updated);
      } finally {
        this.saving = null;
      }
      this.current = updated;
      this.persisted = true;
      return updated;
    });
    this.updates = next.catch(() => undefined);
    return next;
  }

  /** The state read at start: the stored one when it names a configured server, else DB_PRIMARY_URL at epoch 0. */
  private accept(saved: TopologyState | null): TopologyState {
    const configured = this.configuredServers().map(serverKeyOf);
    if (!saved) return initialTopologyState(configured[0], this.clock.now());
    if (!configured.includes(saved.primary)) {
      throw new Error(
        `${this.store.description} names ${saved.primary} as the primary (epoch ${saved.epoch}), which is not in DB_PRIMARY_URL or ` +
          `DB_STANDBY_URLS. Add it back, or, once you are sure which server holds the newest data, move that state away to start from DB_PRIMARY_URL.`,
      );
    }
    if (saved.primary !== configured[0]) {
      this.logger.warn({
        msg: 'the stored topology overrides DB_PRIMARY_URL: a failover happened',
        primary: saved.primary,
        epoch: saved.epoch,
        store: this.store.description,
      });
    }
    return saved;
  }

  /**
   * A state another node stored (or this one, echoed by the watch). Older or identical
   * states are ignored; one naming an unknown server is refused loudly, never followed.
   */
  private applyStored(state: TopologyState): void {
    const previous = this.current;
    if (!previous || state.updatedAt === this.saving?.updatedAt) return;
    // The watch delivers changes in order; only an epoch going back would be wrong to follow.
    if (state.epoch < previous.epoch || (state.epoch === previous.epoch && state.updatedAt === previous.updatedAt))
      return;
    if (!this.configuredServers().some((endpoint) => serverKeyOf(endpoint) === state.primary)) {
      this.logger.error({
        msg: 'ignored a stored topology whose primary is not configured on this node',
        primary: state.primary,
        epoch: state.epoch,
      });
      return;
    }
    this.current = state;
    this.persisted = true;
    for (const listener of this.listeners) listener(state, previous);
  }

  private configuredServers(): MysqlEndpoint[] {
    const database = this.database;
    if (!database) return [];
    return [database.primary, ...database.standbys];
  }

  private requireState(): TopologyState {
    if (!this.current) throw new Error('no database topology: DB_TYPE is not mysql');
    return this.current;
  }
}
