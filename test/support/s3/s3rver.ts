import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type S3Client } from '@aws-sdk/client-s3';
import type { S3BackupConfig } from '../../../src/config/app-config';
import { createS3Client } from '../../../src/backup/storage/s3/s3-client';
import { s3TestConfig } from './s3-config';

const S3RVER_BIN = join(__dirname, '..', '..', '..', 'node_modules', 's3rver', 'bin', 's3rver.js');
/** s3rver's built-in account; it accepts any secret anyway (see PITFALLS.md). */
export const S3RVER_KEY = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * A private s3rver (an S3-compatible server) in its own process, on a free loopback port,
 * storing into a temp directory, with one bucket created at start. A child process so
 * that a test can SIGKILL it mid-upload.
 */
export class S3rverProcess {
  private constructor(
    readonly port: number,
    readonly bucket: string,
    readonly directory: string,
    readonly child: ChildProcess,
    private readonly exited: Promise<unknown>,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `reuse`: a data directory and port of a server that died, to start it again as it was. */
  static async start(bucket = 'logic-ha-backups', reuse?: { directory: string; port: number }): Promise<S3rverProcess> {
    const directory = reuse?.directory ?? mkdtempSync(join(tmpdir(), 'logic-ha-s3rver-'));
    const port = String(reuse?.port ?? 0);
    const child = spawn(
      process.execPath,
      [S3RVER_BIN, '-d', directory, '-a', '127.0.0.1', '-p', port, '--silent', '--configure-bucket', bucket],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let output = '';
    const listening = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`s3rver did not start: ${output}`)), 20_000);
      const onData = (data: Buffer) => {
        output += data.toString();
        const match = /S3rver listening on [^:]+:(\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited with ${code}: ${output}`));
      });
    }).catch((error) => {
      child.kill('SIGKILL');
      if (!reuse) rmSync(directory, { recursive: true, force: true });
      throw error;
    });
    return new S3rverProcess(listening, bucket, directory, child, exited);
  }

  /** The driver's settings for this server; `prefix` is '' or ends with '/'. */
  config(prefix = ''): S3BackupConfig {
    return s3TestConfig({
      bucket: this.bucket,
      prefix,
      endpoint: this.endpoint,
      credentials: S3RVER_KEY,
      maxAttempts: 3,
    });
  }

  /** The same settings as environment variables, for an app or CLI process. */
  env(prefix = ''): Record<string, string> {
    return {
      BACKUP_STORAGE: 's3',
      BACKUP_S3_BUCKET: this.bucket,
      BACKUP_S3_ENDPOINT: this.endpoint,
      BACKUP_S3_FORCE_PATH_STYLE: 'true',
      BACKUP_S3_ACCESS_KEY_ID: S3RVER_KEY.accessKeyId,
      BACKUP_S3_SECRET_ACCESS_KEY: S3RVER_KEY.secretAccessKey,
      BACKUP_S3_MAX_ATTEMPTS: '3',
      ...(prefix ? { BACKUP_S3_PREFIX: prefix } : {}),
    };
  }

  client(): S3Client {
    return createS3Client(this.config());
  }

  /**
   * Multipart uploads s3rver holds (started, not completed) with the parts received so far,
   * read from its store (layout of s3rver 3.7: `<bucket>/._S3rver_uploads/<upload id>/`).
   */
  uploadsInProgress(): { key: string; parts: number }[] {
    const root = join(this.directory, this.bucket, '._S3rver_uploads');
    if (!existsSync(root)) return [];
    return readdirSync(root).flatMap((uploadId) => {
      const dir = join(root, uploadId);
      if (!existsSync(join(dir, 'key'))) return [];
      const parts = readdirSync(dir).filter((name) => /^\d+$/.test(name)).length;
      return [{ key: readFileSync(join(dir, 'key'), 'utf8'), parts }];
    });
  }

  /** kill -9: the server dies mid-request, as a crashed or unreachable S3 would. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /**
   * A new server on this one's data directory and port, as a restarted S3 service would be:
   * what reached the store before the kill is still there. Use the returned object from now on.
   */
  async restart(): Promise<S3rverProcess> {
    await this.kill();
    return S3rverProcess.start(this.bucket, { directory: this.directory, port: this.port });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await this.exited;
    }
    rmSync(this.directory, { recursive: true, force: true });
  }
}
