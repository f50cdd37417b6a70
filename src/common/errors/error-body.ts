import { HttpException, HttpStatus } from '@nestjs/common';
import { CommonErrorCode } from './common-error-code';
import { isDatabaseUnavailable } from './database-unavailable';
import { DomainError, ErrorKind } from './domain-error';
import { isStorageFull, storageFull, storageFullPath } from './storage-full';

/** Long enough for a failover's data-source switch; short enough to keep writers moving. */
const DATABASE_RETRY_AFTER_SECONDS = 1;

/** The body of every error answer: `{ statusCode, code, message, details?, correlationId? }`. */
export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: unknown;
  correlationId?: string;
}

export interface ErrorAnswer {
  body: ErrorBody;
  headers: Record<string, string>;
  /** Unexpected errors are logged with their stack; expected ones are not noise. */
  unexpected: boolean;
}

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  [ErrorKind.InvalidInput]: HttpStatus.BAD_REQUEST,
  [ErrorKind.Unauthorized]: HttpStatus.UNAUTHORIZED,
  [ErrorKind.Forbidden]: HttpStatus.FORBIDDEN,
  [ErrorKind.NotFound]: HttpStatus.NOT_FOUND,
  [ErrorKind.Conflict]: HttpStatus.CONFLICT,
  [ErrorKind.PayloadTooLarge]: HttpStatus.PAYLOAD_TOO_LARGE,
  [ErrorKind.UnsupportedMediaType]: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  [ErrorKind.Unavailable]: HttpStatus.SERVICE_UNAVAILABLE,
  [ErrorKind.InsufficientStorage]: HttpStatus.INSUFFICIENT_STORAGE,
  [ErrorKind.Internal]: HttpStatus.INTERNAL_SERVER_ERROR,
};

/**
 * Codes for HttpExceptions, including Fastify's own errors (body too large, malformed
 * JSON, wrong media type), which Nest turns into HttpExceptions before our filter sees them.
 */
const CODE_BY_HTTP_STATUS: Record<number, CommonErrorCode> = {
  [HttpStatus.BAD_REQUEST]: CommonErrorCode.MalformedBody,
  [HttpStatus.NOT_FOUND]: CommonErrorCode.RouteNotFound,
  [HttpStatus.PAYLOAD_TOO_LARGE]: CommonErrorCode.PayloadTooLarge,
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: CommonErrorCode.UnsupportedMediaType,
};

/**
 * Maps anything thrown to the answer a client gets. Pure, so it is unit-tested alone.
 * `databasePath` names the SQLite file in a STORAGE_FULL answer for a database write that
 * found the disk full (file writers name their own path before it gets here).
 */
export function toErrorAnswer(error: unknown, correlationId: string, databasePath?: string): ErrorAnswer {
  if (error instanceof DomainError) return fromDomainError(error);
  // The file the error names wins; the SQLite file stands in only for a database write (SQLITE_FULL names none).
  if (isStorageFull(error)) return fromDomainError(storageFull(storageFullPath(error) ?? databasePath, error));
  if (error instanceof HttpException) return fromHttpException(error);
  if (isDatabaseUnavailable(error)) {
    return {
      body: {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        code: CommonErrorCode.DatabaseUnavailable,
        message: 'The database is not reachable right now (failover or outage); retry shortly',
        correlationId,
      },
      headers: { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
      unexpected: false,
    };
  }
  return {
    body: {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      code: CommonErrorCode.InternalError,
      message: 'Internal server error; quote the correlationId when reporting it',
      correlationId,
    },
    headers: {},
    unexpected: true,
  };
}

function fromDomainError(error: DomainError): ErrorAnswer {
  const statusCode = STATUS_BY_KIND[error.kind];
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  if (error.kind === ErrorKind.Unauthorized) headers['www-authenticate'] = 'Bearer';
  const body: ErrorBody = { statusCode, code: error.code, message: error.message };
  if (error.details !== undefined) body.details = error.details;
  // A full disk is logged too: the operator has to free space, and the client cannot.
  return {
    body,
    headers,
    unexpected: error.kind === ErrorKind.Internal || error.kind === ErrorKind.InsufficientStorage,
  };
}

function fromHttpException(error: HttpException): ErrorAnswer {
  const statusCode = error.getStatus();
  const code = CODE_BY_HTTP_STATUS[statusCode] ?? CommonErrorCode.HttpError;
  return { body: { statusCode, code, message: error.message }, headers: {}, unexpected: statusCode >= 500 };
}
