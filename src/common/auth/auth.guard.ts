import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ACCESS_SCOPE_KEY, AccessScope } from './access-scope';
import { AuthTokens } from './auth-tokens';
import { authorisationError } from './authorize';

/** Global guard: checks the bearer token against the scope the route declares (admin when it declares none). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AuthTokens,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const scope =
      this.reflector.getAllAndOverride<AccessScope>(ACCESS_SCOPE_KEY, [context.getHandler(), context.getClass()]) ??
      AccessScope.Admin;
    const error = authorisationError(
      scope,
      context.switchToHttp().getRequest<FastifyRequest>().headers.authorization,
      this.tokens,
    );
    if (error) throw error;
    return true;
  }
}
