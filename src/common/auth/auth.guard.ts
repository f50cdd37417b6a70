import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { CommonErrorCode } from '../errors/common-error-code';
import { DomainError, ErrorKind } from '../errors/domain-error';
import { ACCESS_SCOPE_KEY, AccessScope } from './access-scope';
import { AuthTokens } from './auth-tokens';
import { bearerToken, tokensMatch } from './token-compare';

/** Global guard: checks the bearer token against the scope the route declares. */
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
    if (scope === AccessScope.Open) return true;
    if (scope === AccessScope.Runtime && this.tokens.runtimeAccess !== 'token') return true;

    const presented = bearerToken(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization);
    if (presented === undefined) {
      throw new DomainError(
        CommonErrorCode.AuthenticationRequired,
        ErrorKind.Unauthorized,
        `This route needs an ${scope} token: send "Authorization: Bearer <token>"`,
      );
    }
    if (!this.accepts(scope, presented)) {
      throw new DomainError(CommonErrorCode.InvalidToken, ErrorKind.Unauthorized, `The token is not valid for the ${scope} scope`);
    }
    return true;
  }

  /** The admin token opens every scope; the runtime token only runtime routes. */
  private accepts(scope: AccessScope, presented: string): boolean {
    const adminMatches = tokensMatch(presented, this.tokens.adminToken);
    if (scope === AccessScope.Admin) return adminMatches;
    const runtimeMatches = this.tokens.runtimeToken !== undefined && tokensMatch(presented, this.tokens.runtimeToken);
    return adminMatches || runtimeMatches;
  }
}
