import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { LOCAL_ONLY_KEY } from '../common/http/forwarded-answer';
import { ClusterErrorCode } from './cluster.errors';
import { WriteGate } from './write-gate';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const RETRY_AFTER_SECONDS = 2;

/**
 * Global guard: while the write gate is closed, every route that may write to the database
 * (any method but GET/HEAD/OPTIONS, unless marked @LocalOnly) answers 503
 * CLUSTER_WRITES_SUSPENDED + Retry-After. Reads go on: config answers come from the cache
 * and the file, instances from the database as it is.
 */
@Injectable()
export class WriteGateGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly gate: WriteGate,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (READS.has(request.method)) return true;
    if (this.reflector.getAllAndOverride<boolean>(LOCAL_ONLY_KEY, [context.getHandler(), context.getClass()]))
      return true;
    const verdict = this.gate.verdict();
    if (verdict.allowed) return true;
    throw new DomainError(
      ClusterErrorCode.WritesSuspended,
      ErrorKind.Unavailable,
      `writes are suspended: ${verdict.reason}`,
      {
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      },
    );
  }
}
