import { BinlogChangeCollector } from './binlog-changes';
import { errantRanges, historyOf, parseGtidList } from './gtid-set';

/** The shape of `mariadb-binlog --base64-output=decode-rows -vv` output (MariaDB 10.11), trimmed. */
const OUTPUT = `
# at 256
#261129 22:00:00 server id 75  end_log_pos 298 CRC32 0x1  GTID 0-75-9 trans
BEGIN
#261129 22:00:00 server id 75  end_log_pos 400 CRC32 0x2  Table_map: \`logic_ha\`.\`logic_instance\` mapped to number 33
### INSERT INTO \`logic_ha\`.\`logic_instance\`
### SET
###   @1='a'
COMMIT/*!*/;
# at 500
#261129 22:00:01 server id 75  end_log_pos 542 CRC32 0x3  GTID 0-75-10 trans
BEGIN
### UPDATE \`logic_ha\`.\`logic_instance\`
### WHERE
###   @1='a'
### SET
###   @1='b'
### UPDATE \`logic_ha\`.\`logic_instance\`
### WHERE
###   @1='c'
### SET
###   @1='d'
### DELETE FROM \`logic_ha\`.\`logic_ha_epoch\`
### WHERE
###   @1=3
COMMIT/*!*/;
#261129 22:00:02 server id 75  end_log_pos 700 CRC32 0x4  GTID 0-75-11 ddl
CREATE TABLE t (a INT)
`;

/**
 * Real `mariadb-binlog --base64-output=decode-rows -vv` output (MariaDB 10.11.19, binlog_annotate_row_events
 * on), two transactions whose statement and row values hold GTID-like text.
 */
const REAL = `# at 591
#261129 23:44:14 server id 7  end_log_pos 633 CRC32 0x85d47de3 \tGTID 0-7-3 trans
/*M!100001 SET @@session.gtid_seq_no=3*//*!*/;
START TRANSACTION
/*!*/;
# at 633
# at 700
#261129 23:44:14 server id 7  end_log_pos 700 CRC32 0xe39f6f09 \tAnnotate_rows:
#Q> insert into d.t values ('GTID 0-2-7'), ('x')
#261129 23:44:14 server id 7  end_log_pos 743 CRC32 0x493316f7 \tTable_map: \`d\`.\`t\` mapped to number 18
# at 743
#261129 23:44:14 server id 7  end_log_pos 791 CRC32 0x1c86ff6f \tWrite_rows: table id 18 flags: STMT_END_F
### INSERT INTO \`d\`.\`t\`
### SET
###   @1='GTID 0-2-7' /* VARSTRING(50) meta=50 nullable=1 is_null=0 */
### INSERT INTO \`d\`.\`t\`
### SET
###   @1='x' /* VARSTRING(50) meta=50 nullable=1 is_null=0 */
# Number of rows: 2
# at 791
#261129 23:44:14 server id 7  end_log_pos 822 CRC32 0x23d640b4 \tXid = 3
COMMIT/*!*/;
# at 822
#261129 23:44:14 server id 7  end_log_pos 864 CRC32 0x9f58b758 \tGTID 0-7-4 trans
/*M!100001 SET @@session.gtid_seq_no=4*//*!*/;
START TRANSACTION
/*!*/;
# at 864
# at 945
#261129 23:44:14 server id 7  end_log_pos 945 CRC32 0x916bfbdb \tAnnotate_rows:
#Q> update d.t set a='#261129 22:00:00 GTID 0-2-9' where a='x'
#261129 23:44:14 server id 7  end_log_pos 988 CRC32 0x6e41ad74 \tTable_map: \`d\`.\`t\` mapped to number 18
# at 988
#261129 23:44:14 server id 7  end_log_pos 1054 CRC32 0xec78b269 \tUpdate_rows: table id 18 flags: STMT_END_F
### UPDATE \`d\`.\`t\`
### WHERE
###   @1='x' /* VARSTRING(50) meta=50 nullable=1 is_null=0 */
### SET
###   @1='#261129 22:00:00 GTID 0-2-9' /* VARSTRING(50) meta=50 nullable=1 is_null=0 */
# Number of rows: 1
# at 1054
#261129 23:44:14 server id 7  end_log_pos 1085 CRC32 0x1b587418 \tXid = 4
COMMIT/*!*/;
# at 1085
`;

describe('BinlogChangeCollector', () => {
  it('counts rows per errant GTID, table and operation, and lists a transaction without row events as DDL/other', () => {
    const collector = new BinlogChangeCollector(errantRanges(parseGtidList('0-75-11'), historyOf('0-75-9')));
    for (const line of OUTPUT.split('\n')) collector.line(line);
    expect(collector.gtids()).toEqual(['0-75-10', '0-75-11']);
    expect(collector.changes()).toEqual([
      { gtid: '0-75-10', table: 'logic_ha.logic_instance', operation: 'UPDATE', rows: 2 },
      { gtid: '0-75-10', table: 'logic_ha.logic_ha_epoch', operation: 'DELETE', rows: 1 },
      { gtid: '0-75-11', table: '', operation: 'DDL/other', rows: 0 },
    ]);
  });

  it('ignores transactions the primary holds and row-like lines outside a transaction', () => {
    const collector = new BinlogChangeCollector(errantRanges(parseGtidList('0-75-11'), historyOf('0-75-11')));
    collector.line('### INSERT INTO `a`.`b`');
    for (const line of OUTPUT.split('\n')) collector.line(line);
    expect(collector.changes()).toEqual([]);
  });

  it('switches transactions on GTID event headers only, not on row values or annotated statements that mention a GTID', () => {
    const ranges = errantRanges(parseGtidList('0-7-4,0-2-9'), historyOf('0-7-2,0-2-6'));
    const collector = new BinlogChangeCollector(ranges);
    for (const line of REAL.split('\n')) collector.line(line);
    expect(collector.gtids()).toEqual(['0-7-3', '0-7-4']);
    expect(collector.changes()).toEqual([
      { gtid: '0-7-3', table: 'd.t', operation: 'INSERT', rows: 2 },
      { gtid: '0-7-4', table: 'd.t', operation: 'UPDATE', rows: 1 },
    ]);
  });

  it('reads a header with a one-digit hour and without a checksum (binlog_checksum=NONE)', () => {
    const collector = new BinlogChangeCollector(errantRanges(parseGtidList('0-7-5'), historyOf('0-7-4')));
    collector.line('#261129  9:05:03 server id 7  end_log_pos 633 \tGTID 0-7-5 trans');
    collector.line('### DELETE FROM `d`.`t`');
    expect(collector.changes()).toEqual([{ gtid: '0-7-5', table: 'd.t', operation: 'DELETE', rows: 1 }]);
  });
});
