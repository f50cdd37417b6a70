import { Injectable, OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics } from 'prom-client';
import { METRIC_PREFIX, MetricsRegistry } from '../common/metrics/metrics-registry';

/** Node's process metrics (CPU, memory, heap, event-loop lag, GC, handles) as `logic_ha_process_*` / `logic_ha_nodejs_*`. */
@Injectable()
export class DefaultMetrics implements OnModuleInit {
  constructor(private readonly metrics: MetricsRegistry) {}

  onModuleInit(): void {
    collectDefaultMetrics({ register: this.metrics.registry, prefix: METRIC_PREFIX });
  }
}
