import type { S3BackupConfig } from '../../../src/config/app-config';

/**
 * An S3 storage configuration for tests: path-style, fixed credentials, the default
 * checksum modes. Each test names only what it is about (the endpoint, attempts, prefix).
 */
export function s3TestConfig(overrides: Partial<S3BackupConfig> = {}): S3BackupConfig {
  return {
    bucket: 'prod-backups',
    prefix: 'logic-ha/',
    region: 'us-east-1',
    endpoint: 'https://s3.example.test',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
    checksumCalculation: 'when_required',
    checksumValidation: 'when_required',
    maxAttempts: 8,
    ...overrides,
  };
}
