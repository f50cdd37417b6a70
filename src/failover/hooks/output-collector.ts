/** Kept for a veto's record and the status: enough for the error a script printed last. */
export const OUTPUT_TAIL_CHARS = 2048;
/** Logged per run, so a chatty or runaway hook cannot flood the log. */
export const LOGGED_OUTPUT_CHARS = 64 * 1024;

/**
 * Splits a child's stdout and stderr into lines for the log (each stream on its own, so a
 * line is never cut by the other stream's bytes) and keeps the tail of both, interleaved.
 */
export class OutputCollector {
  private tail = '';
  private logged = 0;
  private truncated = false;
  private readonly partial = { stdout: '', stderr: '' };

  constructor(private readonly onLine: (stream: 'stdout' | 'stderr', line: string) => void = () => undefined) {}

  add(stream: 'stdout' | 'stderr', text: string): void {
    this.tail = (this.tail + text).slice(-OUTPUT_TAIL_CHARS);
    const lines = (this.partial[stream] + text).split('\n');
    this.partial[stream] = lines.pop()!;
    for (const line of lines) this.emit(stream, line);
    // A line with no end in sight is logged in pieces rather than held without bound.
    if (this.partial[stream].length > OUTPUT_TAIL_CHARS) {
      this.emit(stream, this.partial[stream]);
      this.partial[stream] = '';
    }
  }

  /** Logs what is left of unterminated lines; returns the tail. */
  finish(): string {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) this.emit(stream, this.partial[stream]);
      this.partial[stream] = '';
    }
    return this.tail;
  }

  private emit(stream: 'stdout' | 'stderr', line: string): void {
    if (this.truncated) return;
    this.logged += line.length + 1;
    if (this.logged > LOGGED_OUTPUT_CHARS) {
      this.truncated = true;
      this.onLine(stream, `[more output not logged: over ${LOGGED_OUTPUT_CHARS} characters]`);
      return;
    }
    this.onLine(stream, line.replace(/\r$/, ''));
  }
}
