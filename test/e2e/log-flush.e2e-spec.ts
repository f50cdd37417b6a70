import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnApp } from '../support/app-process';

/**
 * Logs go to stdout through an asynchronous destination: lines wait in memory until the
 * event loop writes them. These tests run real processes and count what reaches the pipe
 * when the process ends: by SIGTERM, by an uncaught exception, by an unhandled rejection.
 * The reader is slow on purpose (it pauses after each chunk), so the process exits while
 * megabytes of lines are still buffered.
 */
const FIXTURE = join(__dirname, '..', 'support', 'log-flush.fixture.ts');
const LINES = 5000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: { msg: string; i?: number; level: string; err?: { message: string } }[];
}

function runFixture(how: string): Promise<Run> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', FIXTURE, how, String(LINES)], {
    cwd: join(__dirname, '..', '..'),
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 2);
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once('close', (code, signal) => {
      try {
        const lines = out
          .split('\n')
          .filter((l) => l.length > 0)
          .map((l) => JSON.parse(l) as Run['lines'][number]);
        resolve({ code, signal, lines });
      } catch (error) {
        reject(new Error(`unreadable stdout (${String(error)}); stderr:\n${err}`));
      }
    }),
  );
}

function numbered(run: Run): number[] {
  return run.lines.filter((l) => l.msg === 'numbered line').map((l) => l.i!);
}

const everyLine = Array.from({ length: LINES }, (_, i) => i);

describe('no log line is lost when the process ends', () => {
  it('on SIGTERM: every line, in order, then the shutdown lines, exit 0', async () => {
    const run = await runFixture('sigterm');
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    expect(numbered(run)).toEqual(everyLine);
    expect(run.lines.at(-1)).toMatchObject({ msg: 'shutdown complete' });
  });

  it('on an uncaught exception: every line, then one fatal line with the error, exit 1', async () => {
    const run = await runFixture('throw');
    expect(run.code).toBe(1);
    expect(numbered(run)).toEqual(everyLine);
    expect(run.lines.at(-1)).toMatchObject({
      level: 'fatal',
      msg: 'uncaught exception; exiting',
      err: { message: 'fixture exception' },
    });
  });

  it('on an unhandled rejection: every line, then one fatal line with the error, exit 1', async () => {
    const run = await runFixture('reject');
    expect(run.code).toBe(1);
    expect(numbered(run)).toEqual(everyLine);
    expect(run.lines.at(-1)).toMatchObject({
      level: 'fatal',
      msg: 'unhandled promise rejection; exiting',
      err: { message: 'fixture rejection' },
    });
  });

  describe('the built service', () => {
    let cwd: string;
    beforeEach(() => {
      cwd = mkdtempSync(join(tmpdir(), 'logic-ha-log-flush-'));
    });
    afterEach(() => rmSync(cwd, { recursive: true, force: true }));

    it('writes the access line of every request answered before SIGTERM, and its last lines', async () => {
      const app = spawnApp(cwd, { PORT: '0', LOG_LEVEL: 'info' });
      const url = await app.listening();
      const ids = Array.from({ length: 300 }, (_, i) => `flush-${i}`);
      for (let i = 0; i < ids.length; i += 30) {
        const batch = ids.slice(i, i + 30);
        await Promise.all(batch.map((id) => fetch(`${url}/health/live`, { headers: { 'x-request-id': id } })));
      }
      app.child.kill('SIGTERM');
      expect(await app.exited).toEqual({ code: 0, signal: null });
      const lines = app
        .stdout()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { reqId?: string; msg: string });
      const logged = lines.filter((l) => l.msg === 'request completed').map((l) => l.reqId);
      expect(logged.sort()).toEqual([...ids].sort());
      expect(lines.at(-1)).toMatchObject({ msg: 'shutdown complete' });
    });
  });
});
