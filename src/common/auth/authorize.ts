import { CommonErrorCode } from '../errors/common-error-code';
import { DomainError, ErrorKind } from '../errors/domain-error';
import { AccessScope } from './access-scope';
import type { AuthTokens } from './auth-tokens';
import { bearerToken, tokensMatch } from './token-compare';

/**
 * The one authorisation rule, shared by the global guard and any route answered before
 * Nest's pipeline: returns undefined when the request may proceed, else the error to send.
 */
export function authorisationError(
  scope: AccessScope,
  authorization: string | string[] | undefined,
  tokens: AuthTokens,
): DomainError | undefined {
  if (scope === AccessScope.Open) return undefined;
  if (scope === AccessScope.Runtime && tokens.runtimeAccess !== 'token') return undefined;
  const presented = bearerToken(authorization);
  if (presented === undefined) {
    return new DomainError(
      CommonErrorCode.AuthenticationRequired,
      ErrorKind.Unauthorized,
      `This route needs an ${scope} token: send "Authorization: Bearer <token>"`,
    );
  }
  if (!accepts(scope, presented, tokens)) {
    return new DomainError(
      CommonErrorCode.InvalidToken,
      ErrorKind.Unauthorized,
      `The token is not valid for the ${scope} scope`,
    );
  }
  return undefined;
}

/** The admin token opens every scope; the runtime token only runtime routes. */
function accepts(scope: AccessScope, presented: string, tokens: AuthTokens): boolean {
  const adminMatches = tokensMatch(presented, tokens.adminToken);
  if (scope === AccessScope.Admin) return adminMatches;
  const runtimeMatches = tokens.runtimeToken !== undefined && tokensMatch(presented, tokens.runtimeToken);
  return adminMatches || runtimeMatches;
}
