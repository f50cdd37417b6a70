import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { DumpPositionSniffer } from './dump-position.sniffer';
import { GtidSessionStripper } from './gtid-session.stripper';

/** Feeds `text` in chunks of `size` bytes, so markers straddle chunk boundaries. */
const chunked = (text: string, size: number) =>
  Readable.from(
    Array.from({ length: Math.ceil(text.length / size) }, (_, i) =>
      Buffer.from(text.slice(i * size, (i + 1) * size), 'latin1'),
    ),
  );

describe('DumpPositionSniffer', () => {
  const dump = [
    '-- MariaDB dump',
    "-- CHANGE MASTER TO MASTER_LOG_FILE='binlog.000007', MASTER_LOG_POS=849;",
    "INSERT INTO `t` VALUES (1,'-- CHANGE MASTER TO MASTER_LOG_FILE=\\'evil.1\\', MASTER_LOG_POS=1;');",
    ...Array.from({ length: 200 }, (_, i) => `INSERT INTO t VALUES (${i});`),
    "-- SET GLOBAL gtid_slave_pos='0-1-3,1-2-9';",
    '',
  ].join('\n');

  it.each([7, 64, 4096])(
    'reads the snapshot coordinates across %i-byte chunks and passes every byte through',
    async (size) => {
      const sniffer = new DumpPositionSniffer();
      const out = await buffer(chunked(dump, size).pipe(sniffer));
      expect(out.toString('latin1')).toBe(dump);
      expect([sniffer.binlogFile, sniffer.binlogPosition, sniffer.gtid]).toEqual(['binlog.000007', 849, '0-1-3,1-2-9']);
    },
  );

  it('reports nothing for a dump without coordinates', async () => {
    const sniffer = new DumpPositionSniffer();
    await buffer(chunked('-- dump\nINSERT INTO t VALUES (1);\n', 5).pipe(sniffer));
    expect([sniffer.binlogFile, sniffer.gtid]).toEqual([null, null]);
  });
});

describe('GtidSessionStripper', () => {
  it.each([5, 50, 4096])(
    'drops the per-transaction GTID session lines and nothing else (%i-byte chunks)',
    async (size) => {
      const input = [
        '#261127  2:34:41 server id 1  end_log_pos 936 	GTID 0-1-5 trans',
        '/*M!100001 SET @@session.gtid_domain_id=0*//*!*/;',
        '/*M!100001 SET @@session.server_id=1*//*!*/;',
        '/*M!100001 SET @@session.gtid_seq_no=5*//*!*/;',
        "BINLOG '\u00ff\u0001binary'/*!*/;",
        '/*!100001 SET @@SESSION.SERVER_ID=@@GLOBAL.SERVER_ID */;',
        'COMMIT',
      ].join('\n');
      const out = (await buffer(chunked(input, size).pipe(new GtidSessionStripper()))).toString('latin1');
      expect(out).toBe(
        [
          '#261127  2:34:41 server id 1  end_log_pos 936 	GTID 0-1-5 trans',
          "BINLOG '\u00ff\u0001binary'/*!*/;",
          '/*!100001 SET @@SESSION.SERVER_ID=@@GLOBAL.SERVER_ID */;',
          'COMMIT',
        ].join('\n'),
      );
    },
  );
});
