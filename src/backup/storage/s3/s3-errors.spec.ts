import { createServer } from 'node:net';
import type { S3BackupConfig } from '../../../config/app-config';
import { S3BackupStorage } from './s3-backup.storage';
import { createS3Client } from './s3-client';
import { explainS3Error } from './s3-errors';
import { s3TestConfig } from '../../../../test/support/s3/s3-config';

const WHERE = 's3://b/p/ at http://127.0.0.1:9';

describe('explainS3Error on network failures', () => {
  it('a request timeout reads without the node handler tag', () => {
    const error = Object.assign(
      new Error('@smithy/node-http-handler - [ERROR] a request has exceeded the configured 300 ms requestTimeout.'),
      { name: 'TimeoutError' },
    );
    expect(explainS3Error(error, 'UploadPart 1', WHERE).message).toBe(
      `S3 UploadPart 1 failed on ${WHERE} (TimeoutError: a request has exceeded the configured 300 ms requestTimeout.)`,
    );
  });

  it('a refused connection says so, without "AWS SDK error wrapper for"', async () => {
    // A port just freed: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const config: S3BackupConfig = s3TestConfig({
      bucket: 'backups',
      prefix: '',
      endpoint: `http://127.0.0.1:${port}`,
      maxAttempts: 1,
    });
    const client = createS3Client(config);
    const storage = new S3BackupStorage(config, client);
    const error = (await storage.listIds().catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(
      /^S3 ListObjectsV2 failed on s3:\/\/backups\/ at http:\/\/127\.0\.0\.1:\d+ \(.*ECONNREFUSED/,
    );
    expect(error.message).not.toMatch(/AWS SDK error wrapper|Error: Error:/);
    client.destroy();
  });
});
