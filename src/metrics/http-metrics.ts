import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Histogram } from 'prom-client';
import { MetricsRegistry } from '../common/metrics/metrics-registry';

type Labels = 'method' | 'route' | 'status_code';

/** Request durations from 1 ms (a cached config read) to 10 s (a slow admin call). */
export const HTTP_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The route label: Fastify's route pattern (`/api/v1/configs/:logicId`), never the raw URL,
 * so a client cannot grow the series without bound; `unmatched` for any URL no route serves.
 */
export function routeLabel(request: Pick<FastifyRequest, 'routeOptions'>): string {
  return request.routeOptions?.url ?? 'unmatched';
}

export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'OTHER';
}

/**
 * `logic_ha_http_request_duration_seconds{method,route,status_code}`, observed in Fastify's
 * onResponse hook: every answer counts, the cached-read fast path's and the errors' too.
 * A hook of its own, apart from the access log's, so either can change without the other.
 */
@Injectable()
export class HttpRequestMetrics implements OnModuleInit {
  private readonly duration: Histogram<Labels>;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    metrics: MetricsRegistry,
  ) {
    this.duration = metrics.histogram({
      name: 'logic_ha_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status code: how long each took to answer',
      labelNames: ['method', 'route', 'status_code'],
      buckets: HTTP_DURATION_BUCKETS,
    });
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    // Absent in the CLI's application context, which serves no HTTP.
    if (!fastify?.addHook) return;
    // Callback style, not async: a promise per answer is measurable on the cheapest routes.
    fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      this.observe(request.method, routeLabel(request), reply.statusCode, reply.elapsedTime);
      done();
    });
  }

  /**
   * About 1 µs per answer on this machine under load (prom-client hashes the labels on every
   * observation; a cached child does the same, so none is kept).
   */
  observe(method: string, route: string, statusCode: number, elapsedMs: number): void {
    this.duration.observe({ method: methodLabel(method), route, status_code: statusCode }, elapsedMs / 1000);
  }
}
