/** What the SDK's errors carry, read defensively (a network error has no status). */
export function s3Status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

export function s3Code(error: unknown): string | undefined {
  const e = error as { name?: string; Code?: string };
  return e?.Code ?? e?.name;
}

/**
 * The object (or upload) is not there. A missing bucket is also a 404, and must not read as
 * "no manifest": every backup would look unfinished instead of the setting being wrong.
 */
export function isNotFound(error: unknown): boolean {
  const code = s3Code(error);
  if (code === 'NoSuchBucket') return false;
  return code === 'NoSuchKey' || code === 'NotFound' || s3Status(error) === 404;
}

/** The service does not support a feature (a conditional header, ListMultipartUploads on s3rver). */
export function isNotImplemented(error: unknown): boolean {
  return s3Status(error) === 501 || s3Code(error) === 'NotImplemented';
}

export function isPreconditionFailed(error: unknown): boolean {
  return s3Status(error) === 412 || s3Code(error) === 'PreconditionFailed';
}

const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'ExpiredToken',
  'InvalidToken',
  'CredentialsProviderError',
]);

/** A failed S3 request, said for people: the action, the bucket and endpoint, and what to check. */
export class S3StorageError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'S3StorageError';
  }
}

/** `where` names the bucket and endpoint, never credentials. */
export function explainS3Error(error: unknown, action: string, where: string): S3StorageError {
  if (error instanceof S3StorageError) return error;
  const code = s3Code(error);
  const status = s3Status(error);
  const said = `${code ?? 'error'}${status ? ` ${status}` : ''}: ${messageOf(error)}`;
  let hint = '';
  if (code && CREDENTIAL_CODES.has(code))
    hint =
      ': check BACKUP_S3_ACCESS_KEY_ID / BACKUP_S3_SECRET_ACCESS_KEY (or the SDK credential chain) and the bucket policy';
  else if (code === 'NoSuchBucket')
    hint = ': the bucket does not exist (check BACKUP_S3_BUCKET and BACKUP_S3_ENDPOINT)';
  return new S3StorageError(`S3 ${action} failed on ${where} (${said})${hint}`, code, status, { cause: error });
}

/**
 * The SDK's own words without its noise: a request ended by its deadline says so, not a
 * bare "Request aborted"; the node handler's tag and the retry wrapper's prefix go.
 */
function messageOf(error: unknown): string {
  const e = error as Error & { cause?: { name?: string } };
  // The handler wraps the signal's reason: as `cause`, or (another realm's DOMException) as text.
  if (e?.name === 'AbortError' && (e.cause?.name === 'TimeoutError' || e.message?.startsWith('TimeoutError')))
    return 'no answer before the request deadline';
  const message = e?.message ?? String(error);
  // The retry middleware wraps what is not an Error of its own realm (under jest, node's
  // socket errors) as "AWS SDK error wrapper for Error: …".
  return message
    .replace(/^@smithy\/node-http-handler - \[ERROR\] /, '')
    .replace(/^AWS SDK error wrapper for (Error: )?/, '');
}
