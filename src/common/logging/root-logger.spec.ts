import { Writable } from 'node:stream';
import { createRootLogger } from './root-logger';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { lines, stream };
}

describe('createRootLogger redaction', () => {
  it('never writes S3 credentials or a secret access key', () => {
    const { lines, stream } = capture();
    const logger = createRootLogger('info', stream);
    logger.info({ s3: { bucket: 'b', credentials: { accessKeyId: 'AKID', secretAccessKey: 'top-secret-1' } } });
    logger.info({ settings: { accessKeyId: 'AKID', secretAccessKey: 'top-secret-2' } });
    const output = lines.join('');
    expect(output).not.toMatch(/top-secret/);
    expect(output).toContain('"bucket":"b"');
    expect(output).toContain('[redacted]');
  });
});
