import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/time/clock';
import { AppConfig, MysqlDatabaseConfig } from '../../config/app-config';
import type { MysqlEndpoint } from '../../config/mysql-url';
import { serverKeyOf } from './server-key';
import { TopologyFile } from './topology-file';
import { ServerKey, TopologyState, initialTopologyState } from './topology-state';

export type ServerRole = 'primary' | 'standby' | 'fenced';

export interface TopologyServer {
  key: ServerKey;
  role: ServerRole;
  /** The app's account on this server, as configured. */
  endpoint: MysqlEndpoint;
}

/**
 * Which server is the primary now. Configuration lists the servers; the state file says
 * which one is primary and which are fenced, and wins over DB_PRIMARY_URL once a failover
 * has happened. Updates are persisted before they are visible, one at a time.
 */
@Injectable()
export class DatabaseTopology {
  private readonly logger = new Logger('DatabaseTopology');
  private readonly database?: MysqlDatabaseConfig;
  private current?: TopologyState;
  private persisted = false;
  private updates: Promise<unknown> = Promise.resolve();

  constructor(
    config: AppConfig,
    private readonly file: TopologyFile,
    private readonly clock: Clock,
  ) {
    if (config.database.type !== 'mysql') return;
    this.database = config.database;
    this.current = this.load();
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

  /** Applies a change: written to the file first, then visible. Changes run one at a time. */
  update(change: (state: TopologyState) => TopologyState): Promise<TopologyState> {
    const next = this.updates.then(async () => {
      const updated = { ...change(structuredClone(this.requireState())), updatedAt: this.clock.now().toISOString() };
      await this.file.write(updated);
      this.current = updated;
      this.persisted = true;
      return updated;
    });
    this.updates = next.catch(() => undefined);
    return next;
  }

  private load(): TopologyState {
    const configured = this.configuredServers().map(serverKeyOf);
    const saved = this.file.read();
    if (!saved) return initialTopologyState(configured[0], this.clock.now());
    if (!configured.includes(saved.primary)) {
      throw new Error(
        `${this.file.path} names ${saved.primary} as the primary (epoch ${saved.epoch}), which is not in DB_PRIMARY_URL or ` +
          `DB_STANDBY_URLS. Add it back, or, once you are sure which server holds the newest data, move that file away to start from DB_PRIMARY_URL.`,
      );
    }
    this.persisted = true;
    if (saved.primary !== configured[0]) {
      this.logger.warn({
        msg: 'the topology file overrides DB_PRIMARY_URL: a failover happened',
        primary: saved.primary,
        epoch: saved.epoch,
        file: this.file.path,
      });
    }
    return saved;
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
