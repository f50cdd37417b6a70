import type { S3Client } from '@aws-sdk/client-s3';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo, type Socket, createServer as createNetServer } from 'node:net';
import { Readable } from 'node:stream';
import type { S3BackupConfig } from '../../../config/app-config';
import { storeFile } from '../../streams/store-file';
import { S3BackupStorage } from './s3-backup.storage';
import { createS3Client } from './s3-client';
import { S3ObjectWriter } from './s3-object-writer';
import { s3TestConfig } from '../../../../test/support/s3/s3-config';

const ID = '20260601-120000-000F';
const MIB = 1024 * 1024;
/**
 * Short enough for a test, long enough for a loaded machine to get CreateMultipartUpload
 * answered; the production defaults are a minute and more (upload-timeouts.ts).
 */
const SHORT = { baseMs: 1000, bytesPerSecond: 1e12, abortMs: 500 };

function config(port: number): S3BackupConfig {
  return s3TestConfig({ endpoint: `http://127.0.0.1:${port}` });
}

async function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('S3 uploads to an endpoint that stops answering', () => {
  let client: S3Client;
  let close: () => Promise<void>;

  afterEach(async () => {
    jest.restoreAllMocks();
    client?.destroy();
    await close?.();
  });

  const store = (storage: S3BackupStorage, bytes: number, onFailure?: () => Promise<void>) =>
    storeFile(storage, ID, 'database.sql', 'dump', Readable.from([Buffer.alloc(bytes, 1)]), {
      compressionLevel: 0,
      onFailure,
    });

  it('a server that accepts the connection and never answers fails the upload (request timeout)', async () => {
    const sockets: Socket[] = [];
    const server = createNetServer((socket) => sockets.push(socket));
    const port = await listen(server);
    close = async () => {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => server.close(resolve));
    };
    client = createS3Client(config(port));
    const storage = new S3BackupStorage(config(port), client, { uploadTimeouts: SHORT, logger: { warn: jest.fn() } });

    await expect(store(storage, 1000)).rejects.toThrow(
      /S3 PutObject failed on s3:\/\/prod-backups\/logic-ha\/ at http:\/\/127.0.0.1:\d+ \((AbortError: no answer before the request deadline|TimeoutError: a request has exceeded the configured \d+ ms requestTimeout)/,
    );
    expect(sockets.length).toBeGreaterThan(0);
  });

  it('parts stop being answered: the dump is stopped (onFailure) before a bounded abort, which only warns', async () => {
    const events: string[] = [];
    const held: ServerResponse[] = [];
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const url = new URL(request.url!, 'http://x');
      request.resume();
      if (request.method === 'POST' && url.searchParams.has('uploads')) {
        response.writeHead(200, { 'content-type': 'application/xml' });
        response.end(
          '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>',
        );
        return;
      }
      events.push(`${request.method} ${url.searchParams.has('partNumber') ? 'part' : 'upload'}`);
      held.push(response); // never answered
    });
    const port = await listen(server);
    close = async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    };
    client = createS3Client(config(port));
    const abort = S3ObjectWriter.prototype.abort;
    jest.spyOn(S3ObjectWriter.prototype, 'abort').mockImplementation(function (this: S3ObjectWriter) {
      events.push('abort()');
      return abort.call(this);
    });
    const warn = jest.fn();
    const storage = new S3BackupStorage(config(port), client, {
      firstPartBytes: 5 * MIB,
      uploadTimeouts: SHORT,
      logger: { warn },
    });

    await expect(
      store(storage, 6 * MIB, async () => {
        events.push('onFailure');
      }),
    ).rejects.toThrow(
      /S3 UploadPart 1 failed .*(no answer before the request deadline|exceeded the configured \d+ ms requestTimeout)/,
    );
    expect(events).toContain('PUT part');
    expect(events.indexOf('onFailure')).toBeGreaterThanOrEqual(0);
    expect(events.indexOf('abort()')).toBeGreaterThan(events.indexOf('onFailure'));
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ msg: expect.stringMatching(/could not abort/) }));
  });
});
