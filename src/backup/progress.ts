import type { Progress } from './backup.types';

/** Counts what a backup or restore has done; read by the status routes while it runs. */
export class ProgressTracker {
  private phase = 'starting';
  private bytes = 0;
  private files = 0;
  private rows = 0;
  private total: number | null = null;
  private phaseStartBytes = 0;

  /** A new phase; `totalBytes` makes the percentage known for this phase. */
  enter(phase: string, totalBytes: number | null = null): void {
    this.phase = phase;
    this.total = totalBytes;
    this.phaseStartBytes = this.bytes;
  }

  readonly addBytes = (count: number): void => {
    this.bytes += count;
  };

  /** Rows seen so far (a dump's INSERT tuples); approximate, for people watching. */
  readonly addRows = (count: number): void => {
    this.rows += count;
  };

  fileDone(): void {
    this.files += 1;
  }

  snapshot(): Progress {
    const done = this.bytes - this.phaseStartBytes;
    const percent = this.total && this.total > 0 ? Math.min(100, Math.round((done / this.total) * 1000) / 10) : null;
    return { phase: this.phase, bytes: this.bytes, files: this.files, rows: this.rows, percent };
  }
}
