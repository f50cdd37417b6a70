import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const BUILT_MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');
export const BUILT_CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');

export interface AppProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the base URL once the app logs that it listens. */
  listening(timeoutMs?: number): Promise<string>;
  /**
   * Resolves once stdout matches: the app writes its log asynchronously (flushed within
   * 250 ms), so a line logged just before an event may reach the pipe a moment after it.
   */
  logged(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/**
 * Runs the built service (dist/, made by `npm test`'s pretest step) as operators run it:
 * its own process, only the environment given (plus PATH), in `cwd`.
 */
export function spawnApp(
  cwd: string,
  env: Record<string, string>,
  args: string[] = [],
  entry = BUILT_MAIN,
): AppProcess {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" (npm test does it first)`);
  const child = spawn(process.execPath, [entry, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const listening = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const line = out.split('\n').find((l) => l.includes('logic-ha is listening'));
      if (line) return (JSON.parse(line) as { url: string }).url.replace('[::1]', '127.0.0.1');
      if (child.exitCode !== null) throw new Error(`app exited with ${child.exitCode}:\n${err}\n${out}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    throw new Error(`app did not listen within ${timeoutMs} ms:\n${err}\n${out}`);
  };
  const logged = async (pattern: RegExp, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(out)) {
      if (Date.now() > deadline) throw new Error(`no log line matching ${String(pattern)} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return { child, stdout: () => out, stderr: () => err, exited, listening, logged };
}
