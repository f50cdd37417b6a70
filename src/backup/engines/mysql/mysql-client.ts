import { type Connection, createConnection } from 'mysql2/promise';
import type { MysqlEndpoint } from '../../../config/mysql-url';

/** Connection flags for the client programs; the password travels in MYSQL_PWD, never argv. */
export function clientArguments(endpoint: MysqlEndpoint): string[] {
  return [`--host=${endpoint.host}`, `--port=${endpoint.port}`, `--user=${endpoint.user}`, '--protocol=TCP'];
}

export function clientEnvironment(endpoint: MysqlEndpoint): Record<string, string> {
  return { MYSQL_PWD: endpoint.password };
}

/** A short-lived admin connection for the few SQL statements a backup needs. */
export function connectTo(
  endpoint: MysqlEndpoint,
  database: string | undefined,
  timeoutMs = 10_000,
): Promise<Connection> {
  return createConnection({
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    password: endpoint.password,
    database,
    connectTimeout: timeoutMs,
    multipleStatements: false,
  });
}

/** Runs `work` on a short-lived connection, closed whatever happens. */
export async function withConnection<T>(
  endpoint: MysqlEndpoint,
  database: string | undefined,
  work: (connection: Connection) => Promise<T>,
): Promise<T> {
  const connection = await connectTo(endpoint, database);
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

export async function queryRows<T>(connection: Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [rows] = await connection.query(sql, params);
  return rows as T[];
}
