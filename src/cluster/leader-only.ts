import {
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  UseInterceptors,
  applyDecorators,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { messageOf } from '../common/errors/error-message';
import { FORWARDED_BY_HEADER, ForwardedAnswer } from '../common/http/forwarded-answer';
import { REQUEST_ID_HEADER } from '../common/http/request-id';
import { ClusterErrorCode } from './cluster.errors';
import { Leadership } from './leadership';
import { PeerClient } from './peer-client';

/** A leader's action (a switchover, a manual backup) may take minutes; the forward waits as long. */
const FORWARD_TIMEOUT_MS = 10 * 60_000;

/**
 * Runs the route on the leader: on a follower, the request (already authorised here) is
 * forwarded to the leader with the cluster's admin token and the same body, and its answer
 * is returned as it came. Every node serves the
 * whole API; only the leader acts.
 */
@Injectable()
export class LeaderForwarding implements NestInterceptor {
  constructor(
    private readonly leadership: Leadership,
    private readonly peers: PeerClient,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (this.leadership.isLeader()) return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const leader = this.leadership.leader();
    if (request.headers[FORWARDED_BY_HEADER] !== undefined || !leader || leader.nodeId === this.leadership.nodeId) {
      throw new DomainError(
        ClusterErrorCode.NoLeader,
        ErrorKind.Unavailable,
        'no node leads the cluster right now (an election is under way, or etcd is out of reach); retry shortly',
        { retryAfterSeconds: 2 },
      );
    }
    const answer = await this.peers
      .call(leader.address, request.url, {
        method: request.method,
        body: request.body ?? undefined,
        timeoutMs: FORWARD_TIMEOUT_MS,
        headers: { [FORWARDED_BY_HEADER]: this.leadership.nodeId, [REQUEST_ID_HEADER]: String(request.id) },
      })
      .catch((error: unknown) => {
        throw new DomainError(
          ClusterErrorCode.NoLeader,
          ErrorKind.Unavailable,
          `the leader ${leader.nodeId} (${leader.address}) did not answer: ${messageOf(error)}`,
          { retryAfterSeconds: 2 },
        );
      });
    throw new ForwardedAnswer(answer.status, answer.headers, answer.body);
  }
}

/** The route acts on the servers or the schedules: it runs on the leader (forwarded from a follower). */
export const LeaderOnly = () => applyDecorators(UseInterceptors(LeaderForwarding));
