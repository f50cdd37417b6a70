import { Transform, type TransformCallback } from 'node:stream';

/**
 * mariadb-binlog prints, before each transaction, statements that make the receiving
 * server log it under the source's GTID (domain, server id, sequence number). Replayed
 * into a restored server that has its own history, those collide with gtid_strict_mode
 * ("out-of-order sequence number"). Dropping them lets the target log the replay under
 * its own GTIDs: a restore starts a new history, as a restored primary must.
 */
const SESSION_GTID_LINE = /^\/\*M!100001 SET @@session\.(?:gtid_seq_no|server_id|gtid_domain_id)=\d+\*\/\/\*!\*\/;\n/gm;

export class GtidSessionStripper extends Transform {
  private carry = '';

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // latin1 maps bytes 1:1, so binary row images survive the round trip.
    const text = this.carry + chunk.toString('latin1');
    const lastNewline = text.lastIndexOf('\n');
    this.carry = text.slice(lastNewline + 1);
    callback(null, Buffer.from(text.slice(0, lastNewline + 1).replace(SESSION_GTID_LINE, ''), 'latin1'));
  }

  override _flush(callback: TransformCallback): void {
    callback(null, Buffer.from(this.carry, 'latin1'));
  }
}
