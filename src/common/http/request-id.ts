import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';

export const REQUEST_ID_HEADER = 'x-request-id';
/** A caller's id is reused only when it is short and harmless in logs. */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Reuses a well-formed X-Request-Id from the caller (proxies set one) or makes a new one. */
export function requestIdFromHeaders(request: IncomingMessage): string {
  const header = request.headers[REQUEST_ID_HEADER];
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate && ACCEPTABLE_REQUEST_ID.test(candidate) ? candidate : randomUUID();
}

/** Fastify's request id, which the request logger also uses. */
export function requestIdOf(request: FastifyRequest): string {
  return String(request.id);
}
