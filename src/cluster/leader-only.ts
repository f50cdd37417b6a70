import {
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  SetMetadata,
  UseInterceptors,
  applyDecorators,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { messageOf } from '../common/errors/error-message';
import { FORWARDED_BY_HEADER, ForwardedAnswer } from '../common/http/forwarded-answer';
import { REQUEST_ID_HEADER } from '../common/http/request-id';
import { AppConfig } from '../config/app-config';
import { ClusterErrorCode } from './cluster.errors';
import { Leadership, type LeaderView } from './leadership';
import { PeerClient } from './peer-client';

export interface LeaderOnlyOptions {
  /**
   * The route does long work inside the request (it re-reads every backup file, deletes in
   * batches): the forward waits up to LONG_FORWARD_TIMEOUT_MS instead of the default bound.
   */
  longRunning?: boolean;
}

const LEADER_ONLY_KEY = 'logic-ha:leader-only';

/**
 * Beyond FAILOVER_APPLY_TIMEOUT_MS, what the slowest ordinary leader action takes: a
 * switchover waits up to that long for the standby to apply, then promotes and re-points.
 * Every other ordinary route is quicker, or starts its work and answers 202.
 */
export const FORWARD_MARGIN_MS = 30_000;

/** The bound of a `longRunning` route. */
export const LONG_FORWARD_TIMEOUT_MS = 10 * 60_000;

/** How often a forward in flight checks that this node still hears of the same leader. */
export const LEADER_CHECK_MS = 1000;

/**
 * Runs the route on the leader: on a follower, the request (already authorised here) is
 * forwarded to the leader with the cluster's admin token and the same body, and its answer
 * is returned as it came. Every node serves the whole API; only the leader acts.
 *
 * The forward is bounded (FAILOVER_APPLY_TIMEOUT_MS + 30 s, or 10 min for a longRunning
 * route), and given up as soon as this node no longer names that node as leader: a hung
 * leader (a stopped process still accepts connections) loses its key after the lease, and
 * the caller hears so then instead of at the bound.
 */
@Injectable()
export class LeaderForwarding implements NestInterceptor {
  constructor(
    private readonly leadership: Leadership,
    private readonly peers: PeerClient,
    private readonly config: AppConfig,
    private readonly reflector: Reflector,
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
    const timeoutMs = this.forwardTimeoutMs(context);
    const moved = new AbortController();
    const check = setInterval(() => {
      const now = this.leadership.leader();
      if (now?.nodeId !== leader.nodeId) moved.abort(leaderMoved(now));
    }, LEADER_CHECK_MS);
    try {
      const answer = await this.peers.call(leader.address, request.url, {
        method: request.method,
        body: request.body ?? undefined,
        timeoutMs,
        signal: moved.signal,
        headers: { [FORWARDED_BY_HEADER]: this.leadership.nodeId, [REQUEST_ID_HEADER]: String(request.id) },
      });
      throw new ForwardedAnswer(answer.status, answer.headers, answer.body);
    } catch (error) {
      if (error instanceof ForwardedAnswer) throw error;
      const what = moved.signal.aborted
        ? `stopped waiting for the leader ${leader.nodeId} (${leader.address}): ${messageOf(moved.signal.reason)}`
        : `the leader ${leader.nodeId} (${leader.address}) did not answer: ${messageOf(error)} (waited up to ${Math.round(timeoutMs / 1000)} s)`;
      throw new DomainError(
        ClusterErrorCode.NoLeader,
        ErrorKind.Unavailable,
        `${what}; if it received the request it may still carry it out: check the outcome before asking again`,
        { retryAfterSeconds: 2 },
      );
    } finally {
      clearInterval(check);
    }
  }

  private forwardTimeoutMs(context: ExecutionContext): number {
    const options = this.reflector.get<LeaderOnlyOptions | undefined>(LEADER_ONLY_KEY, context.getHandler());
    return options?.longRunning ? LONG_FORWARD_TIMEOUT_MS : this.config.failover.applyTimeoutMs + FORWARD_MARGIN_MS;
  }
}

function leaderMoved(now: LeaderView | null): Error {
  return new Error(
    now ? `this node now hears of ${now.nodeId} as the leader` : 'this node no longer knows of a leader',
  );
}

/** The route acts on the servers or the schedules: it runs on the leader (forwarded from a follower). */
export const LeaderOnly = (options: LeaderOnlyOptions = {}) =>
  applyDecorators(SetMetadata(LEADER_ONLY_KEY, options), UseInterceptors(LeaderForwarding));
