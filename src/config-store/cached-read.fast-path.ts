import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccessScope } from '../common/auth/access-scope';
import { AuthTokens } from '../common/auth/auth-tokens';
import { authorisationError } from '../common/auth/authorize';
import { serialiseAnswer } from './answer-serialiser';
import { ConfigStoreService } from './config-store.service';
import { LogicIdPipe, ReadConfigQueryPipe } from './read-config.pipes';

/** The route this path serves; it must stay in step with ConfigsController.read. */
const READ_ROUTE = '/api/v1/configs/:logicId';
const logicIdPipe = new LogicIdPipe();
const queryPipe = new ReadConfigQueryPipe();

/**
 * Runtimes read configs on every run, and a cache hit is cheap next to Nest's handler
 * pipeline around it (guards, pipes, response mapping: about half the route's cost, see
 * bench/RESULTS.md). This Fastify hook answers cache hits of the read route before that
 * pipeline, with the same authorisation rule and input checks; anything else (a miss,
 * bad input, a missing token) goes on to the Nest route, which answers it as always.
 */
@Injectable()
export class CachedReadFastPath implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tokens: AuthTokens,
    private readonly store: ConfigStoreService,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    // Absent in the CLI's application context, which serves no HTTP.
    if (!fastify?.addHook) return;
    fastify.addHook('onRequest', (request, reply) => this.answerCacheHit(request, reply));
  }

  private async answerCacheHit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.method !== 'GET' || request.routeOptions.url !== READ_ROUTE) return;
    if (authorisationError(AccessScope.Runtime, request.headers.authorization, this.tokens)) return;
    let logicId: string;
    let query: ReturnType<ReadConfigQueryPipe['transform']>;
    try {
      logicId = logicIdPipe.transform((request.params as { logicId?: unknown }).logicId);
      query = queryPipe.transform(request.query);
    } catch {
      return;
    }
    const answer = await this.store.readCachedAnswer(logicId, query.version, query.mode);
    if (!answer) return;
    await reply.header('content-type', 'application/json; charset=utf-8').send(serialiseAnswer(answer));
  }
}
