import { SetMetadata } from '@nestjs/common';

/**
 * The answer another node gave to a request this node forwarded (cluster mode: a leader's
 * action asked of a follower). Raised, not returned, so that the one exception filter sends
 * it verbatim (status, body, Retry-After) instead of the route's own status code.
 */
export class ForwardedAnswer extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly body: unknown,
  ) {
    super(`answered ${status} by the node the request was forwarded to`);
    this.name = 'ForwardedAnswer';
  }
}

/** Header set on a forwarded request: the receiving node never forwards it again. */
export const FORWARDED_BY_HEADER = 'x-logic-ha-forwarded-by';

export const LOCAL_ONLY_KEY = 'logic-ha:local-only';

/**
 * A non-GET route that changes only this process (its log level, its cache), never the
 * database: it stays open when cluster mode suspends database writes.
 */
export const LocalOnly = () => SetMetadata(LOCAL_ONLY_KEY, true);
