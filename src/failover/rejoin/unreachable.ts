import { isDatabaseUnavailable } from '../../common/errors/database-unavailable';

/** The probes' own statement bound (mysql-rejoin-probe.ts, mysql-server-probe.ts): "…: no answer within N ms". */
const NO_ANSWER = /no answer within \d+ ms/;
/** Socket codes as they appear in a message that lost its `code` (wrapped, or a fake's). */
const SOCKET_WORDS = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)\b/;

/**
 * True when a rejoin failed because a server did not answer (refused, timed out, gone from
 * the network), not because of what it answered: the request may succeed later (503), as
 * opposed to a conflict a person must resolve (409).
 */
export function isUnreachable(error: unknown): boolean {
  if (isDatabaseUnavailable(error)) return true;
  const message = error instanceof Error ? error.message : String(error);
  return NO_ANSWER.test(message) || SOCKET_WORDS.test(message);
}
