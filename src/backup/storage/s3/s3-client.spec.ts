import type { S3BackupConfig } from '../../../config/app-config';
import { createS3Client } from './s3-client';
import { s3TestConfig } from '../../../../test/support/s3/s3-config';

const CONFIG: S3BackupConfig = s3TestConfig({ bucket: 'b', prefix: '', maxAttempts: 3 });

/** The node handler's resolved settings (it resolves them lazily, behind a promise). */
async function handlerConfig(client: ReturnType<typeof createS3Client>) {
  const handler = client.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };
  return handler.configProvider;
}

describe('createS3Client', () => {
  it.each([
    ['when_required', 'when_required', 'WHEN_REQUIRED', 'WHEN_REQUIRED'],
    ['when_supported', 'when_supported', 'WHEN_SUPPORTED', 'WHEN_SUPPORTED'],
    ['when_supported', 'when_required', 'WHEN_SUPPORTED', 'WHEN_REQUIRED'],
  ] as const)('checksums %s / %s map to the SDK modes %s / %s', async (calculation, validation, request, response) => {
    const client = createS3Client({ ...CONFIG, checksumCalculation: calculation, checksumValidation: validation });
    expect(await client.config.requestChecksumCalculation()).toBe(request);
    expect(await client.config.responseChecksumValidation()).toBe(response);
    client.destroy();
  });

  it('request timeouts throw; the socket idle limit is short for requests, long for downloads', async () => {
    const requests = createS3Client(CONFIG);
    const downloads = createS3Client(CONFIG, {}, 'downloads');
    expect(await handlerConfig(requests)).toMatchObject({
      requestTimeout: 60_000,
      throwOnRequestTimeout: true,
      socketTimeout: 60_000,
    });
    expect(await handlerConfig(downloads)).toMatchObject({ throwOnRequestTimeout: true, socketTimeout: 600_000 });
    requests.destroy();
    downloads.destroy();
  });
});
