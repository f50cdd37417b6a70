import type { FastifyInstance } from 'fastify';
import { CommonErrorCode } from '../errors/common-error-code';
import { DomainError, ErrorKind } from '../errors/domain-error';

/**
 * Every route that takes a body takes JSON, so only `application/json` is read. Nest's Fastify adapter would also read `application/x-www-form-urlencoded`
 * (curl's default for `-d`) and Fastify `text/plain`: a JSON text sent that way became one
 * form field named after the whole body, and the client got `property {…} should not
 * exist`. Now any other media type, or a body without one, gets a 415 that names the header.
 * Call with Nest's own body parsers off (`bodyParser: false`); Fastify's JSON parser stays.
 */
export function acceptJsonBodiesOnly(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('*', (request, _payload, done) => {
    // An empty body says nothing in any media type: routes whose body is optional still work.
    if (request.headers['content-length'] === '0') return done(null, undefined);
    done(unsupportedMediaType(request.headers['content-type']), undefined);
  });
}

export function unsupportedMediaType(contentType: string | undefined): DomainError {
  const got = contentType ? `"${contentType}"` : 'no content-type header';
  return new DomainError(
    CommonErrorCode.UnsupportedMediaType,
    ErrorKind.UnsupportedMediaType,
    `The request body must be JSON sent with the header "content-type: application/json" (got ${got})`,
    { details: { header: 'content-type', expected: 'application/json', got: contentType ?? null } },
  );
}
