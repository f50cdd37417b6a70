import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '../config/app-config';
import { ConfigHost } from './host/config-host';
import { HostReachability } from './host-reachability';

/**
 * Reports the config host's reachability and breaker state. Always "up": while the host
 * is away the file tier serves (stale answers say so), and readiness must not take a
 * node out of rotation for what it can still serve.
 */
@Injectable()
export class ConfigStoreIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly config: AppConfig,
    private readonly host: ConfigHost,
    private readonly reachability: HostReachability,
  ) {}

  async check(key: string): Promise<HealthIndicatorResult> {
    return this.indicators.check(key).up({
      mode: this.config.configStore.mode,
      host: this.host.description,
      breaker: this.host.breakerState(),
      ...this.reachability.snapshot(),
    });
  }
}
