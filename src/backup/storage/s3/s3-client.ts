import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3BackupConfig } from '../../../config/app-config';

/** A dead endpoint fails the backup instead of hanging it. */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * Idle socket limit of every request but downloads: a silent endpoint (it accepts the
 * connection and never answers) must fail an upload while mariadb-dump still waits on it.
 */
const REQUEST_IDLE_TIMEOUT_MS = 60_000;
/**
 * Idle socket limit of downloads. Generous: a restore reading a file pauses the download
 * while the database applies what it has (backpressure), and that pause is idle time too.
 */
const DOWNLOAD_IDLE_TIMEOUT_MS = 10 * 60_000;
/**
 * Time from a request's start to the service's response headers, for requests without a
 * body to send; uploads pass their own, scaled to their size (s3-object-writer.ts). The
 * SDK only warns about a request past it unless `throwOnRequestTimeout` is set.
 */
const REQUEST_TIMEOUT_MS = 60_000;

/** 'downloads': the client GetObject bodies stream through, with the long idle limit. */
export type S3ClientUse = 'requests' | 'downloads';

/**
 * The client for BACKUP_STORAGE=s3. Checksums default to `when_required`: with the SDK's
 * own default (`when_supported`) a streamed upload to some S3-compatible servers stored the
 * aws-chunked framing as data; the manifest's sha256 catches corruption either way.
 * `extra` is for tests (a fake request handler, a fast retry strategy).
 */
export function createS3Client(
  config: S3BackupConfig,
  extra: Partial<S3ClientConfig> = {},
  use: S3ClientUse = 'requests',
): S3Client {
  silenceNodeVersionNotice();
  return new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    credentials: config.credentials,
    requestChecksumCalculation: config.checksumCalculation === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
    responseChecksumValidation: config.checksumValidation === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
    maxAttempts: config.maxAttempts,
    retryMode: 'standard',
    // The node handler waits for "100 Continue" as long as the request timeout before it sends
    // a body: a service or proxy that never sends one would then fail every part at once.
    expectContinueHeader: false,
    requestHandler: {
      connectionTimeout: CONNECT_TIMEOUT_MS,
      socketTimeout: use === 'downloads' ? DOWNLOAD_IDLE_TIMEOUT_MS : REQUEST_IDLE_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
    ...extra,
  });
}

/** `s3://bucket/prefix` plus the endpoint when not AWS; no credentials, even ones inside the URL. */
export function describeS3(config: S3BackupConfig): string {
  const target = `s3://${config.bucket}/${config.prefix}`;
  if (!config.endpoint) return config.region ? `${target} (${config.region})` : target;
  const endpoint = new URL(config.endpoint);
  endpoint.username = '';
  endpoint.password = '';
  return `${target} at ${endpoint.origin}${endpoint.pathname === '/' ? '' : endpoint.pathname}`;
}

/**
 * The SDK prints a process warning on Node < 22 (its releases after early January 2027
 * need Node 22) on every CLI run and service start. logic-ha pins 3.1175.0, a release
 * that supports Node 20 (README, libraries); the notice is known and says nothing an
 * operator can act on, and on stderr it drowns the CLI's own messages. An operator who
 * set the variable either way keeps their choice.
 */
function silenceNodeVersionNotice(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
