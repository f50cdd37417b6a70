import { Injectable, Logger } from '@nestjs/common';
import { EventBus } from '../common/events/event-bus';
import { Clock } from '../common/time/clock';
import type { ConfigHostError } from './host/config-host';

export interface Reachability {
  reachable: boolean | null;
  since: string | null;
  lastFailure: string | null;
}

/**
 * Tracks whether the host answers, so `config.host-unreachable` is emitted once per
 * outage (on the first failure after a success), not once per request.
 */
@Injectable()
export class HostReachability {
  private readonly logger = new Logger('ConfigHost');
  private reachable: boolean | null = null;
  private since: Date | null = null;
  private lastFailure: string | null = null;

  constructor(
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  succeeded(host: string): void {
    if (this.reachable === false) this.logger.log({ msg: 'config host reachable again', host });
    if (this.reachable !== true) this.since = this.clock.now();
    this.reachable = true;
  }

  failed(host: string, error: ConfigHostError): void {
    this.lastFailure = `${error.failure}: ${error.message}`;
    if (this.reachable === false) return;
    this.reachable = false;
    this.since = this.clock.now();
    this.logger.warn({
      msg: 'config host unreachable; serving last known good files',
      host,
      failure: error.failure,
      reason: error.message,
    });
    this.events.emit('config.host-unreachable', {
      host,
      failure: error.failure,
      reason: error.message,
      since: this.since,
    });
  }

  snapshot(): Reachability {
    return { reachable: this.reachable, since: this.since?.toISOString() ?? null, lastFailure: this.lastFailure };
  }
}
