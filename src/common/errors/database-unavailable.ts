/**
 * Errors that mean "the database cannot be reached right now", not "the request is wrong":
 * the primary is down, the pool is being moved to a promoted standby, or the server is
 * read-only (fenced). Clients should retry; they get 503 + Retry-After.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  // --read-only: a fenced or not-yet-promoted server refuses the app's writes.
  'ER_OPTION_PREVENTS_STATEMENT',
]);

/** TypeORM's and mysql2's words for a pool that is closed or not open yet. */
const NOT_CONNECTED_NAMES = new Set(['CannotExecuteNotConnectedError', 'ConnectionIsNotSetError']);
const NOT_CONNECTED_MESSAGES = [/^Driver not Connected/, /^Pool is closed/, /connection is in closed state/i];

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (NOT_CONNECTED_NAMES.has(error.name)) return true;
  if (NOT_CONNECTED_MESSAGES.some((pattern) => pattern.test(error.message))) return true;
  const withCode = error as Error & { code?: unknown; driverError?: { code?: unknown } };
  const code = withCode.driverError?.code ?? withCode.code;
  return typeof code === 'string' && UNAVAILABLE_CODES.has(code);
}
