import { Module } from '@nestjs/common';
import { DefaultMetrics } from './default-metrics';
import { HttpRequestMetrics } from './http-metrics';
import { MetricsAccessGuard } from './metrics-access.guard';
import { MetricsController } from './metrics.controller';

/**
 * GET /metrics and the process-wide metrics (Node's, HTTP requests). The features' metrics
 * are not defined here: each feature defines its own in the shared MetricsRegistry
 * (src/common/metrics), and this module only serialises the registry.
 */
@Module({
  controllers: [MetricsController],
  providers: [MetricsAccessGuard, DefaultMetrics, HttpRequestMetrics],
})
export class MetricsModule {}
