/**
 * What kind of failure an error is; the exception filter turns a kind into an HTTP
 * status, so services never think in status codes.
 */
export enum ErrorKind {
  InvalidInput = 'invalid-input',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  NotFound = 'not-found',
  Conflict = 'conflict',
  PayloadTooLarge = 'payload-too-large',
  UnsupportedMediaType = 'unsupported-media-type',
  Unavailable = 'unavailable',
  /** The disk (or quota) is full: 507. */
  InsufficientStorage = 'insufficient-storage',
  Internal = 'internal',
}

export interface DomainErrorOptions {
  details?: unknown;
  cause?: unknown;
  /** Seconds a client should wait before retrying (sent as Retry-After when Unavailable). */
  retryAfterSeconds?: number;
}

/**
 * The one error type services throw. `code` comes from the feature's error enum and is
 * stable for clients and scripts; `message` is for people.
 */
export class DomainError extends Error {
  readonly details?: unknown;
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
