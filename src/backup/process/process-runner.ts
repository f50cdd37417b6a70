import { spawn } from 'node:child_process';
import { Injectable } from '@nestjs/common';
import type { Readable, Writable } from 'node:stream';
import { fatalStderrLines } from './stderr-policy';

const STDERR_KEPT_BYTES = 16 * 1024;
const KILL_GRACE_MS = 5000;

export interface StartOptions {
  /** Added to the inherited environment (e.g. MYSQL_PWD, so no password is on a command line). */
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Give the child a writable stdin (a restore feeds SQL through it). */
  stdin?: boolean;
  /** The name errors use, when the command is a wrapper (stdbuf). */
  label?: string;
}

export interface RunningProcess {
  /** The child's process id; undefined when it could not start. */
  pid: number | undefined;
  stdin: Writable | null;
  stdout: Readable;
  /** Resolves when the child exited 0 and wrote nothing alarming to stderr. */
  finished: Promise<void>;
  /**
   * Ends the child (SIGTERM, SIGKILL after a grace period) and resolves once it has exited,
   * so whatever it held (a server connection, an open transaction) is released by then.
   * Resolves at once for a child that already exited.
   */
  stop(): Promise<void>;
}

export class ProcessFailedError extends Error {
  constructor(
    readonly command: string,
    readonly reason: string,
    readonly stderr: string,
  ) {
    super(`${command} ${reason}${stderr ? `: ${stderr.trim().split('\n').slice(-5).join(' | ')}` : ''}`);
    this.name = 'ProcessFailedError';
  }
}

/**
 * The one way logic-ha runs a child process (mariadb-dump, mariadb-binlog, mariadb): every
 * exit code is checked, stderr is kept, and a stderr warning that can mean lost data fails
 * the run even when the exit code is 0. Callers that feed or drain a child through a stream
 * pipeline await both with `withChildren`, so a failed pipeline never leaves the child running.
 */
@Injectable()
export class ProcessRunner {
  start(command: string, args: string[], options: StartOptions = {}): RunningProcess {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_KEPT_BYTES);
    });
    // 'error' covers a child that never started (it may never emit 'close').
    const exited = new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve());
    });
    let stopping: Promise<void> | null = null;
    const stop = (): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return exited;
      stopping ??= terminate(child, exited);
      return stopping;
    };
    const onAbort = (): void => void stop();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const name = options.label ?? command;
    const finished = new Promise<void>((resolve, reject) => {
      child.once('error', (error) => reject(new ProcessFailedError(name, `could not start (${error.message})`, '')));
      child.once('close', (code, signal) => {
        options.signal?.removeEventListener('abort', onAbort);
        if (signal) return reject(new ProcessFailedError(name, `was killed by ${signal}`, stderr));
        if (code !== 0) return reject(new ProcessFailedError(name, `exited with code ${code}`, stderr));
        const fatal = fatalStderrLines(stderr);
        if (fatal.length > 0)
          return reject(new ProcessFailedError(name, 'exited 0 but reported a problem', fatal.join('\n')));
        resolve();
      });
    });
    // A caller that never awaits `finished` (because its pipeline failed first) must not crash the process.
    finished.catch(() => undefined);
    return { pid: child.pid, stdin: child.stdin, stdout: child.stdout!, finished, stop };
  }
}

/**
 * Awaits `work` (stream pipelines feeding or draining the children) and every child's
 * `finished`. On the first failure every child is stopped, and awaited, before the error is
 * rethrown: a dump blocked on a pipe nobody reads any more would otherwise hold its
 * connection and its REPEATABLE READ snapshot open until logic-ha itself exits.
 * The error reported is the pipeline's own when it failed (a full disk, a dead S3 server),
 * not "mariadb-dump was killed by SIGTERM", which is only what stopping the child caused.
 */
export async function withChildren<T>(children: RunningProcess[], work: Promise<T>): Promise<T> {
  const outcome = work.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  try {
    const [settled] = await Promise.all([
      outcome.then((result) => {
        if (!result.ok) throw result.error;
        return result;
      }),
      ...children.map((child) => child.finished),
    ]);
    return settled.value;
  } catch (error) {
    await Promise.all(children.map((child) => child.stop()));
    // With its children gone the pipeline ends at once; the bound only guards against a stuck source.
    const result = await Promise.race([outcome, delay(WORK_SETTLE_MS)]);
    throw result && !result.ok ? result.error : error;
  }
}

/** How long a failed run waits for its pipeline to report its own error once the children are stopped. */
const WORK_SETTLE_MS = 5000;

function delay(ms: number): Promise<null> {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms).unref());
}

function terminate(child: ReturnType<typeof spawn>, exited: Promise<void>): Promise<void> {
  child.kill('SIGTERM');
  const forced = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  forced.unref();
  return exited.finally(() => clearTimeout(forced));
}
