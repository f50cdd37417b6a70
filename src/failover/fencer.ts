import { Injectable, Logger } from '@nestjs/common';
import { messageOf } from '../common/errors/error-message';
import { EventBus } from '../common/events/event-bus';
import { DatabaseTopology } from '../database/topology/database-topology';
import { ServerProbe } from './probes/server-probe';
import { addressOf } from './server-address';

export interface FencedServerView {
  key: string;
  reachable: boolean;
  readOnly: boolean | null;
  lastFencedAt: string | null;
  lastError: string | null;
}

/**
 * Keeps demoted primaries harmless. Each poll, every fenced server that answers is made
 * `read_only = ON` if it is not, and the app account's connections on it are killed, so
 * a returning old primary never accepts the app's writes. It stays fenced until an
 * operator releases it; rejoining it as a replica is a separate, later step.
 */
@Injectable()
export class Fencer {
  private readonly logger = new Logger('Fencer');
  private readonly views = new Map<string, FencedServerView>();

  constructor(
    private readonly topology: DatabaseTopology,
    private readonly probe: ServerProbe,
    private readonly events: EventBus,
  ) {}

  view(key: string): FencedServerView | undefined {
    return this.views.get(key);
  }

  async enforceAll(): Promise<void> {
    const fenced = this.topology.servers().filter((server) => server.role === 'fenced');
    for (const key of this.views.keys()) if (!fenced.some((server) => server.key === key)) this.views.delete(key);
    await Promise.all(fenced.map((server) => this.enforce(server.key, server.endpoint.user)));
  }

  private async enforce(key: string, appUser: string): Promise<void> {
    const address = addressOf(this.topology, key);
    const previous = this.views.get(key);
    try {
      const readOnly = await this.probe.readOnly(address);
      if (readOnly && previous?.reachable) {
        this.views.set(key, { ...previous, readOnly: true, lastError: null });
        return;
      }
      // Back (or first seen): read_only first, then drop the app account's sessions.
      if (!readOnly) await this.probe.setReadOnly(address, true);
      const killedConnections = await this.probe.killConnectionsOf(address, appUser);
      const lastFencedAt = new Date().toISOString();
      this.views.set(key, { key, reachable: true, readOnly: true, lastFencedAt, lastError: null });
      this.logger.warn({
        msg: 'fenced a demoted primary: read_only = ON',
        server: key,
        wasReadOnly: readOnly,
        killedConnections,
      });
      this.events.emit('db.old-primary-fenced', { server: key, epoch: this.topology.epoch, killedConnections });
    } catch (error) {
      this.views.set(key, {
        key,
        reachable: false,
        readOnly: previous?.readOnly ?? null,
        lastFencedAt: previous?.lastFencedAt ?? null,
        lastError: messageOf(error),
      });
    }
  }
}
