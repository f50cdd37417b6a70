import { Global, Module } from '@nestjs/common';
import { MetricsRegistry } from './metrics-registry';

/** The shared registry, global like the clock and the event bus: every feature defines its metrics in it. */
@Global()
@Module({ providers: [MetricsRegistry], exports: [MetricsRegistry] })
export class MetricsRegistryModule {}
