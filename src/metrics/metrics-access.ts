import { isIP } from 'node:net';
import { CommonErrorCode } from '../common/errors/common-error-code';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { bearerToken, tokensMatch } from '../common/auth/token-compare';
import { MetricsErrorCode } from './metrics.errors';

/** 127.0.0.0/8, ::1, and IPv4 loopback seen through an IPv6 socket (::ffff:127.x.y.z). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const bare = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

/**
 * Who may scrape GET /metrics: with METRICS_TOKEN set, whoever presents it as a bearer
 * token (from anywhere, loopback included); without it, loopback clients only. Returns
 * the error to send, or undefined when the scrape may proceed. The metrics token is its
 * own scope: a Prometheus server gets a token that opens nothing else.
 */
export function metricsAccessError(
  authorization: string | string[] | undefined,
  remoteAddress: string | undefined,
  metricsToken: string | undefined,
): DomainError | undefined {
  if (metricsToken === undefined) {
    if (isLoopbackAddress(remoteAddress)) return undefined;
    return new DomainError(
      MetricsErrorCode.LoopbackOnly,
      ErrorKind.Forbidden,
      `GET /metrics answers only loopback clients while METRICS_TOKEN is unset (this request came from ${remoteAddress ?? 'an unknown address'}); set METRICS_TOKEN and scrape with "Authorization: Bearer <METRICS_TOKEN>"`,
    );
  }
  const presented = bearerToken(authorization);
  if (presented === undefined) {
    const sent = Array.isArray(authorization) ? authorization[0] : authorization;
    return new DomainError(
      CommonErrorCode.AuthenticationRequired,
      ErrorKind.Unauthorized,
      sent
        ? 'GET /metrics takes the metrics token in the Bearer scheme: send "Authorization: Bearer <METRICS_TOKEN>"'
        : 'GET /metrics needs the metrics token: send "Authorization: Bearer <METRICS_TOKEN>"',
    );
  }
  if (!tokensMatch(presented, metricsToken)) {
    return new DomainError(CommonErrorCode.InvalidToken, ErrorKind.Unauthorized, 'The token is not the metrics token');
  }
  return undefined;
}
