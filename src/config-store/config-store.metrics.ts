import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsRegistry } from '../common/metrics/metrics-registry';
import { ConfigCache } from './cache/config-cache';
import { type BreakerState, ConfigHost, type ConfigHostFailure } from './host/config-host';
import { HostReachability } from './host-reachability';

const BREAKER_STATES: Exclude<BreakerState, 'none'>[] = ['closed', 'half-open', 'open'];

/**
 * The config store's metrics. Cache hits and misses are the counts the cache keeps already
 * (read at scrape time); host errors and file fallbacks are counted by the read path, which
 * calls the methods below where it decides.
 */
@Injectable()
export class ConfigStoreMetrics {
  private readonly hostErrors: Counter<'failure'>;
  private readonly fileFallbacks: Counter<'outcome'>;
  private readonly staleAnswers: Counter;

  constructor(metrics: MetricsRegistry, cache: ConfigCache, host: ConfigHost, reachability: HostReachability) {
    metrics.sampledCounter({
      name: 'logic_ha_config_cache_hits_total',
      help: 'Config reads answered from the cache',
      read: () => [{ value: cache.stats().hits }],
    });
    metrics.sampledCounter({
      name: 'logic_ha_config_cache_misses_total',
      help: 'Config reads the cache could not answer',
      read: () => [{ value: cache.stats().misses }],
    });
    metrics.sampledGauge({
      name: 'logic_ha_config_cache_entries',
      help: "Entries in this node's memory cache (no sample with the shared Redis store)",
      read: () => {
        const entries = cache.stats().entries;
        return entries === null ? [] : [{ value: entries }];
      },
    });
    metrics.sampledGauge({
      name: 'logic_ha_config_host_breaker_state',
      help: 'The config host circuit breaker: 1 for its current state, 0 for the others (no sample without a breaker: this node’s database is the host)',
      labelNames: ['state'],
      read: () => {
        const current = host.breakerState();
        return current === 'none'
          ? []
          : BREAKER_STATES.map((state) => ({ labels: { state }, value: current === state ? 1 : 0 }));
      },
    });
    metrics.sampledGauge({
      name: 'logic_ha_config_host_up',
      help: 'Whether the config host answered the last read that asked it (no sample before the first)',
      read: () => {
        const { reachable } = reachability.snapshot();
        return reachable === null ? [] : [{ value: reachable ? 1 : 0 }];
      },
    });
    this.hostErrors = metrics.counter({
      name: 'logic_ha_config_host_errors_total',
      help: 'Config host reads that failed, by failure (timeout, refused, http-5xx, breaker-open, …)',
      labelNames: ['failure'],
    });
    this.fileFallbacks = metrics.counter({
      name: 'logic_ha_config_file_fallbacks_total',
      help: 'Online reads that fell back to the local file after a host failure: served, or missing (no file of that version)',
      labelNames: ['outcome'],
    });
    for (const outcome of ['served', 'missing']) this.fileFallbacks.inc({ outcome }, 0);
    this.staleAnswers = metrics.counter({
      name: 'logic_ha_config_stale_answers_total',
      help: 'Answers served from the last known good file while the host failed (marked stale: true)',
    });
  }

  hostFailed(failure: ConfigHostFailure): void {
    this.hostErrors.inc({ failure });
  }

  fellBackToFile(served: boolean): void {
    this.fileFallbacks.inc({ outcome: served ? 'served' : 'missing' });
    if (served) this.staleAnswers.inc();
  }
}
