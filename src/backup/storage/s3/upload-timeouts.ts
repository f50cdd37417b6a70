/**
 * How long an upload request may take. A silent endpoint (it accepts the connection and
 * never answers) must fail the backup soon, since mariadb-dump holds its connection and
 * its snapshot open while it waits; a slow but working link must not.
 */
export interface UploadTimeouts {
  /** Per attempt, to the response headers: `baseMs` plus the body's bytes at `bytesPerSecond`. */
  baseMs: number;
  bytesPerSecond: number;
  /** The whole best-effort abort of a failed upload, retries included. */
  abortMs: number;
}

export const DEFAULT_UPLOAD_TIMEOUTS: UploadTimeouts = {
  baseMs: 60_000,
  bytesPerSecond: 1024 * 1024,
  abortMs: 10_000,
};

/**
 * Attempts that fit in one request's deadline. The client retries a timed-out attempt (a
 * network blip); with BACKUP_S3_MAX_ATTEMPTS=8 and no deadline, a silent endpoint would
 * hold a 100 MiB part for 8 × 160 s.
 */
const ATTEMPTS_PER_DEADLINE = 3;

export function attemptTimeoutMs(timeouts: UploadTimeouts, bodyBytes: number): number {
  return Math.ceil(timeouts.baseMs + (bodyBytes / timeouts.bytesPerSecond) * 1000);
}

/** The signal that ends a request (its retries included) at its deadline, or when `cancel` fires. */
export function deadlineSignal(timeouts: UploadTimeouts, bodyBytes: number, cancel?: AbortSignal): AbortSignal {
  const deadline = AbortSignal.timeout(ATTEMPTS_PER_DEADLINE * attemptTimeoutMs(timeouts, bodyBytes));
  return cancel ? AbortSignal.any([cancel, deadline]) : deadline;
}
