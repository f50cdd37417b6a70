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
  'ENETUNREACH',
  // A name that stops resolving: a container of the killed primary leaves the DNS.
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  // --read-only: a fenced or not-yet-promoted server refuses the app's writes.
  'ER_OPTION_PREVENTS_STATEMENT',
]);

/** Server errors without a code name in mysql2: connection killed (fencing, switchover), shutdown in progress, lost. */
const UNAVAILABLE_ERRNOS = new Set([1927, 1053, 2013]);

/** TypeORM's and mysql2's words for a pool that is closed or not open yet. */
const NOT_CONNECTED_NAMES = new Set(['CannotExecuteNotConnectedError', 'ConnectionIsNotSetError']);
const NOT_CONNECTED_MESSAGES = [
  /^Driver not Connected/,
  /^Connection is not established with/,
  /^Pool is closed/,
  /connection is in closed state/i,
];

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  errno?: unknown;
  driverError?: { code?: unknown; errno?: unknown };
}

/**
 * Duck-typed, not `instanceof Error`: socket errors are created by Node's own `net`
 * module, whose Error may not be this realm's (Jest's sandbox, for one).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const withCode = error as ErrorLike;
  if (typeof withCode.name === 'string' && NOT_CONNECTED_NAMES.has(withCode.name)) return true;
  const message = typeof withCode.message === 'string' ? withCode.message : '';
  if (NOT_CONNECTED_MESSAGES.some((pattern) => pattern.test(message))) return true;
  const code = withCode.driverError?.code ?? withCode.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  const errno = withCode.driverError?.errno ?? withCode.errno;
  return typeof errno === 'number' && UNAVAILABLE_ERRNOS.has(errno);
}
