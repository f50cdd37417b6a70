import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { LogRequests } from '../../config/app-config';

/** Answers at or above this status are what LOG_REQUESTS=errors keeps: refused tokens, bad input, missing configs, failures. */
const FIRST_ERROR_STATUS = 400;

/** Whether an answered request gets its access line under the LOG_REQUESTS mode. */
export function shouldLogRequest(mode: LogRequests, statusCode: number, failed: boolean): boolean {
  if (mode === 'all') return true;
  if (mode === 'off') return false;
  return failed || statusCode >= FIRST_ERROR_STATUS;
}

/** The request's path without its query string: a query may carry data; the path names the resource. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * One access line per request, written when the answer is complete, instead of Fastify's
 * two (`incoming request` + `request completed`). Fastify calls its log controller at both
 * points; this one stays silent on arrival and writes, on completion, what the two lines
 * carried together: reqId (from the request's logger), method, path (no query string),
 * route pattern, statusCode, responseTime in ms, remoteAddress. Headers are never logged.
 * Flat fields: nothing goes through a serializer or a nested JSON.stringify.
 */
export class AccessLogController extends LogController {
  constructor(private readonly mode: LogRequests) {
    super();
  }

  override incomingRequest(): void {
    // Nothing on arrival: the completion line says everything.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const statusCode = reply.statusCode;
    if (!shouldLogRequest(this.mode, statusCode, Boolean(error))) return;
    // Fastify's request logger is a pino child; below its level (LOG_LEVEL=warn) skip building the line.
    const log = request.log as unknown as Logger;
    if (!log.isLevelEnabled(error ? 'error' : 'info')) return;
    const fields = {
      method: request.method,
      path: pathOf(request.url),
      route: request.routeOptions.url,
      statusCode,
      responseTime: Math.round(reply.elapsedTime * 100) / 100,
      remoteAddress: request.ip,
    };
    // Fastify's own wording for an answer cut by an error (a socket reset): kept for log searches.
    if (error) log.error({ ...fields, err: error }, 'request errored');
    else log.info(fields, 'request completed');
  }
}
