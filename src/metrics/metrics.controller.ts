import { Controller, Get, Header, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { Access, AccessScope } from '../common/auth/access-scope';
import { MetricsRegistry } from '../common/metrics/metrics-registry';
import { MetricsAccessGuard } from './metrics-access.guard';

@ApiTags('metrics')
// Open to the admin/runtime guard; the metrics guard applies its own rule instead.
@Access(AccessScope.Open)
@UseGuards(MetricsAccessGuard)
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsRegistry) {}

  @Get('metrics')
  @Header('cache-control', 'no-store')
  @ApiProduces(Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOperation({
    summary:
      'Prometheus text format. "Authorization: Bearer <METRICS_TOKEN>"; without METRICS_TOKEN, loopback clients only',
  })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const text = await this.metrics.text();
    // Set once the text exists: an error on the way is answered as JSON, like any other.
    void reply.header('content-type', Registry.PROMETHEUS_CONTENT_TYPE);
    return text;
  }
}
