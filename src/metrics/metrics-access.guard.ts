import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config';
import { metricsAccessError } from './metrics-access';

/** Applies the metrics access rule (see metricsAccessError) to GET /metrics. */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // The socket's peer, never request.ip: with trustProxy ever turned on, request.ip would
    // come from X-Forwarded-For, which any client can write.
    const error = metricsAccessError(
      request.headers.authorization,
      request.raw.socket.remoteAddress,
      this.config.auth.metricsToken,
    );
    if (error) throw error;
    return true;
  }
}
