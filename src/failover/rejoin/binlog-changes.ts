import type { ErrantRowChange } from '../../common/events/app-events';
import { type ErrantRange, inRanges } from './gtid-set';

/**
 * The header of a GTID event, and only that: `#261129 23:44:14 server id 7  end_log_pos 633
 * CRC32 0x85d47de3 <TAB>GTID 0-7-3 trans` (no CRC32 part when binlog_checksum=NONE). Row
 * values (`###   @1='… GTID 0-2-7'`) and annotated statements (`#Q> …`) may hold the same
 * words and must not switch the transaction.
 */
const GTID_LINE =
  /^#\d{6} +\d{1,2}:\d\d:\d\d server id \d+ +end_log_pos \d+\s+(?:CRC32 0x[0-9a-fA-F]+\s+)?GTID (\d+-\d+-\d+)\b/;
const ROW_LINE = /^### (INSERT INTO|UPDATE|DELETE FROM) (\S+)/;
const OPERATIONS: Record<string, string> = { 'INSERT INTO': 'INSERT', UPDATE: 'UPDATE', 'DELETE FROM': 'DELETE' };

/**
 * Reads `mariadb-binlog --base64-output=decode-rows -vv` output line by line and counts,
 * per errant GTID, the rows each table got (one `### INSERT INTO`/`### UPDATE`/`### DELETE
 * FROM` line per row). A transaction without row events (DDL, a statement-logged write) is
 * listed once as `DDL/other`. Transactions outside the ranges are skipped.
 */
export class BinlogChangeCollector {
  private current: string | null = null;
  private readonly counts = new Map<string, ErrantRowChange>();
  private readonly seen = new Set<string>();

  constructor(private readonly ranges: ErrantRange[]) {}

  line(text: string): void {
    const gtid = GTID_LINE.exec(text);
    if (gtid) {
      this.current = inRanges(gtid[1], this.ranges) ? gtid[1] : null;
      if (this.current) this.seen.add(this.current);
      return;
    }
    if (!this.current) return;
    const row = ROW_LINE.exec(text);
    if (!row) return;
    const operation = OPERATIONS[row[1]];
    const table = row[2].replace(/`/g, '');
    const key = `${this.current}|${table}|${operation}`;
    const change = this.counts.get(key) ?? { gtid: this.current, table, operation, rows: 0 };
    change.rows++;
    this.counts.set(key, change);
  }

  /** Every errant transaction found, in the order met; the ones with no row event as DDL/other. */
  changes(): ErrantRowChange[] {
    const result: ErrantRowChange[] = [];
    for (const gtid of this.seen) {
      const rows = [...this.counts.values()].filter((change) => change.gtid === gtid);
      result.push(...(rows.length > 0 ? rows : [{ gtid, table: '', operation: 'DDL/other', rows: 0 }]));
    }
    return result;
  }

  /** The errant GTIDs actually met in the binlog. */
  gtids(): string[] {
    return [...this.seen];
  }
}
