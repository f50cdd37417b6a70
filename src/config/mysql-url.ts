/** One MariaDB/MySQL server as the app reaches it. */
export interface MysqlEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

const MYSQL_PROTOCOLS = new Set(['mysql:', 'mariadb:']);
const DEFAULT_MYSQL_PORT = 3306;

/**
 * Parses `mysql://user:pass@host:port/database`. Returns the reason instead of throwing
 * so the config validator can report every bad variable at once.
 */
export function parseMysqlUrl(raw: string): MysqlEndpoint | { error: string } {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { error: 'is not a URL of the form mysql://user:password@host:port/database' };
  }
  if (!MYSQL_PROTOCOLS.has(url.protocol)) return { error: 'must start with mysql:// or mariadb://' };
  if (!url.hostname) return { error: 'has no host' };
  if (!url.username) return { error: 'has no user' };
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database || database.includes('/')) return { error: 'must name exactly one database in its path' };
  if (url.search || url.hash) return { error: 'must not carry query parameters or a fragment' };
  const port = url.port ? Number(url.port) : DEFAULT_MYSQL_PORT;
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database,
  };
}

export function isParseError(value: MysqlEndpoint | { error: string }): value is { error: string } {
  return 'error' in value;
}

export function splitUrlList(raw: string): string[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/** A form safe for logs: the password never leaves this function. */
export function describeEndpoint(endpoint: MysqlEndpoint): string {
  return `mysql://${endpoint.user}:***@${endpoint.host}:${endpoint.port}/${endpoint.database}`;
}
