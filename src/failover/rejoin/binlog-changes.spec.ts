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
});
