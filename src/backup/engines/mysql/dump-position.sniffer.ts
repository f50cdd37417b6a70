import { Transform, type TransformCallback } from 'node:stream';

const FILE_NEEDLE = Buffer.from("\n-- CHANGE MASTER TO MASTER_LOG_FILE='");
const GTID_NEEDLE = Buffer.from("\n-- SET GLOBAL gtid_slave_pos='");
/** Longer than either comment line, so a line split across two chunks is still seen whole. */
const CARRY_BYTES = 512;

/**
 * Passes a `mariadb-dump --master-data=2 --gtid` stream through unchanged and reads the
 * snapshot's coordinates from it: the binlog file/position comment near the top and the
 * GTID comment at the end. These are the coordinates of the dump's own consistent
 * snapshot, which no separate query could give. Emits `coordinates` once the binlog
 * file/position are seen: by then the dump holds its snapshot.
 */
export class DumpPositionSniffer extends Transform {
  binlogFile: string | null = null;
  binlogPosition: number | null = null;
  gtid: string | null = null;
  private carry = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // Only the seam between chunks is copied: a marker split across two chunks lies within
    // CARRY_BYTES of it; everything else is searched in place.
    const head = chunk.subarray(0, CARRY_BYTES);
    if (this.carry.length > 0) this.scan(Buffer.concat([this.carry, head]));
    this.scan(chunk);
    const tail = chunk.length >= CARRY_BYTES ? chunk : Buffer.concat([this.carry, chunk]);
    this.carry = Buffer.from(tail.subarray(Math.max(0, tail.length - CARRY_BYTES)));
    callback(null, chunk);
  }

  private scan(window: Buffer): void {
    const fileAt = window.indexOf(FILE_NEEDLE);
    if (fileAt >= 0) {
      const match = /^\n-- CHANGE MASTER TO MASTER_LOG_FILE='([^']+)', MASTER_LOG_POS=(\d+);/.exec(
        lineAt(window, fileAt),
      );
      if (match && this.binlogFile === null) {
        this.binlogFile = match[1];
        this.binlogPosition = Number(match[2]);
        this.emit('coordinates');
      }
    }
    const gtidAt = window.indexOf(GTID_NEEDLE);
    if (gtidAt >= 0) {
      const match = /^\n-- SET GLOBAL gtid_slave_pos='([0-9,-]*)';/.exec(lineAt(window, gtidAt));
      if (match) this.gtid = match[1];
    }
  }
}

function lineAt(window: Buffer, start: number): string {
  const end = window.indexOf(0x0a, start + 1);
  return window.subarray(start, end < 0 ? window.length : end).toString('latin1');
}
