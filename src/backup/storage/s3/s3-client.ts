import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3BackupConfig } from '../../../config/app-config';

/** A dead endpoint fails the backup instead of hanging it. */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * Idle socket limit. Generous: a restore reading a file pauses the download while the
 * database applies what it has (backpressure), and that pause is idle time too.
 */
const SOCKET_IDLE_TIMEOUT_MS = 10 * 60_000;

/**
 * The client for BACKUP_STORAGE=s3. Checksums default to `when_required`: with the SDK's
 * own default (`when_supported`) a streamed upload to some S3-compatible servers stored the
 * aws-chunked framing as data; the manifest's sha256 catches corruption either way.
 * `extra` is for tests (a fake request handler, a fast retry strategy).
 */
export function createS3Client(config: S3BackupConfig, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    credentials: config.credentials,
    requestChecksumCalculation: config.checksumCalculation === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
    responseChecksumValidation: config.checksumValidation === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
    maxAttempts: config.maxAttempts,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: SOCKET_IDLE_TIMEOUT_MS },
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
