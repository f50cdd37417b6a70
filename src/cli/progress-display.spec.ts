import { Writable } from 'node:stream';
import type { Progress } from '../backup';
import type { CliIo } from './cli-runtime';
import { PLAIN_EVERY_MS, formatBytes, showProgress } from './progress-display';

/** A terminal as cli-progress sees one: isTTY, a width, cursor control; keeps what was drawn. */
class FakeTerminal extends Writable {
  isTTY = true;
  columns = 160;
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
  cursorTo(): boolean {
    return true;
  }
  clearLine(): boolean {
    return true;
  }
  moveCursor(): boolean {
    return true;
  }
}

/** What the terminal shows last: cli-progress redraws from column 1 (ESC[1G); escapes removed. */
function lastDrawnLine(text: string): string {
  const drawn = text.split('\u001b[1G').filter((line) => line.trim() !== '');
  // eslint-disable-next-line no-control-regex
  return drawn[drawn.length - 1].replace(/\u001b\[[0-9;?]*[A-Za-z]|\u001b[78]/g, '');
}

function recordingIo(): CliIo & { errors: unknown[] } {
  const errors: unknown[] = [];
  return { errors, out: () => undefined, err: (value) => errors.push(value) };
}

const at = (progress: Partial<Progress>): Progress => ({
  phase: 'dump',
  bytes: 0,
  files: 0,
  rows: 0,
  percent: null,
  ...progress,
});

describe('showProgress', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('on a terminal draws one line with phase, bar, percentage, bytes, rows, rate and ETA', () => {
    const terminal = new FakeTerminal();
    let current = at({ phase: 'restore', bytes: 0, percent: 0 });
    const display = showProgress(() => current, recordingIo(), terminal);
    for (let second = 1; second <= 4; second++) {
      current = at({
        phase: 'restore',
        bytes: second * 8 * 1024 * 1024,
        rows: second * 1000,
        files: 1,
        percent: second * 10,
      });
      jest.advanceTimersByTime(1000);
    }
    display.stop();
    const last = lastDrawnLine(terminal.text);
    expect(last).toContain('restore');
    expect(last).toMatch(/\[#+-+\]\s+40\.0%/);
    expect(last).toContain('32.0 MiB');
    expect(last).toContain('4,000 rows');
    expect(last).toMatch(/MiB\/s/);
    expect(last).toMatch(/ETA \d+s/);
  });

  it('without a known size shows no bar and no ETA, but bytes and rate', () => {
    const terminal = new FakeTerminal();
    let current = at({ bytes: 0 });
    const display = showProgress(() => current, recordingIo(), terminal);
    current = at({ bytes: 5 * 1024 * 1024, rows: 10 });
    jest.advanceTimersByTime(1000);
    display.stop();
    const last = lastDrawnLine(terminal.text);
    expect(last).toContain('5.0 MiB');
    expect(last).not.toContain('[');
    expect(last).not.toContain('ETA');
  });

  it('not on a terminal prints plain JSON progress lines through io.err, and none after stop', () => {
    const io = recordingIo();
    const plain = new FakeTerminal();
    plain.isTTY = false;
    let current: Progress | null = at({ bytes: 100 });
    const display = showProgress(() => current, io, plain);
    jest.advanceTimersByTime(PLAIN_EVERY_MS * 2);
    current = null;
    jest.advanceTimersByTime(PLAIN_EVERY_MS);
    display.stop();
    jest.advanceTimersByTime(PLAIN_EVERY_MS * 3);
    // At the start, then every period while there is something to show; at the end nothing runs any more.
    expect(io.errors).toEqual([
      { progress: at({ bytes: 100 }) },
      { progress: at({ bytes: 100 }) },
      { progress: at({ bytes: 100 }) },
    ]);
    expect(plain.text).toBe('');
  });

  it('formats sizes in binary units', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(3 * 1024 ** 3)]).toEqual(['512 B', '1.5 KiB', '3.0 GiB']);
  });
});
