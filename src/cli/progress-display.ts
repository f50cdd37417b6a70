import { type Options, type Params, SingleBar } from 'cli-progress';
import type { Progress } from '../backup';
import type { CliIo } from './cli-runtime';

/** How often the plain (not a terminal) form prints a line. */
export const PLAIN_EVERY_MS = 2000;
/** Redraws per second on a terminal. */
const TTY_FPS = 5;

/** The stream the bar is drawn on: stderr, or a fake terminal in tests. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface ProgressDisplay {
  /** Draws the final state and releases the terminal line. */
  stop(): void;
}

/**
 * Shows a running backup, restore or test restore. On a terminal: one live line drawn by
 * cli-progress with the phase, a bar and percentage when the phase's size is known, bytes,
 * rows, rate and ETA. Otherwise (a pipe, a log file, CI): a JSON line on stderr every
 * PLAIN_EVERY_MS (and one at the start and the end), so logs stay machine-readable. `read` returns null once nothing runs.
 */
export function showProgress(
  read: () => Progress | null,
  io: CliIo,
  stream: ProgressStream = process.stderr,
): ProgressDisplay {
  return stream.isTTY ? terminalDisplay(read, stream) : plainDisplay(read, io);
}

function plainDisplay(read: () => Progress | null, io: CliIo): ProgressDisplay {
  const print = () => {
    const progress = read();
    if (progress) io.err({ progress });
  };
  // A line at once and one at the end: even a run shorter than the period leaves a trace in the log.
  print();
  const ticker = setInterval(print, PLAIN_EVERY_MS);
  return {
    stop: () => {
      clearInterval(ticker);
      print();
    },
  };
}

function terminalDisplay(read: () => Progress | null, stream: ProgressStream): ProgressDisplay {
  const rate = new RateMeter();
  const bar = new SingleBar({ stream, fps: TTY_FPS, format: describeLine, hideCursor: true, barsize: 24 });
  bar.start(100, 0, payloadOf(read(), rate));
  const ticker = setInterval(() => {
    const progress = read();
    if (progress) bar.update(progress.percent ?? 0, payloadOf(progress, rate));
  }, 1000 / TTY_FPS);
  return {
    stop: () => {
      clearInterval(ticker);
      const progress = read();
      if (progress) bar.update(progress.percent ?? 0, payloadOf(progress, rate));
      bar.stop();
    },
  };
}

interface LinePayload {
  progress: Progress | null;
  bytesPerSecond: number | null;
}

function payloadOf(progress: Progress | null, rate: RateMeter): LinePayload {
  return { progress, bytesPerSecond: progress ? rate.sample(progress.bytes) : null };
}

/** One terminal line; exported for tests. */
export function describeLine(options: Options, params: Params, payload: LinePayload): string {
  const { progress, bytesPerSecond } = payload;
  if (!progress) return 'starting…';
  const parts = [progress.phase.padEnd(9)];
  if (progress.percent !== null) {
    const size = options.barsize ?? 24;
    const filled = Math.round((progress.percent / 100) * size);
    parts.push(`[${'#'.repeat(filled)}${'-'.repeat(size - filled)}] ${progress.percent.toFixed(1).padStart(5)}%`);
  }
  parts.push(formatBytes(progress.bytes));
  if (progress.rows > 0) parts.push(`${progress.rows.toLocaleString('en-US')} rows`);
  parts.push(`${progress.files} file${progress.files === 1 ? '' : 's'}`);
  if (bytesPerSecond !== null) parts.push(`${formatBytes(bytesPerSecond)}/s`);
  const eta = etaSeconds(progress, params);
  if (eta !== null) parts.push(`ETA ${formatDuration(eta)}`);
  return parts.join(' | ');
}

/** cli-progress's own ETA (from the percentage's pace), only when the phase's size is known. */
function etaSeconds(progress: Progress, params: Params): number | null {
  if (progress.percent === null || progress.percent <= 0 || progress.percent >= 100) return null;
  return Number.isFinite(params.eta) && params.eta >= 0 ? params.eta : null;
}

/** Bytes per second over the last few samples, smoothed so the display does not jitter. */
class RateMeter {
  private last: { at: number; bytes: number } | null = null;
  private smoothed: number | null = null;

  sample(bytes: number, at = Date.now()): number | null {
    const previous = this.last;
    this.last = { at, bytes };
    if (!previous || at <= previous.at) return this.smoothed;
    const instant = ((bytes - previous.bytes) * 1000) / (at - previous.at);
    this.smoothed = this.smoothed === null ? instant : this.smoothed * 0.7 + instant * 0.3;
    return this.smoothed;
  }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
