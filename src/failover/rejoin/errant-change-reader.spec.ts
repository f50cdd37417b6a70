import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { AppConfig } from '../../config/app-config';
import type { ServerAddress } from '../probes/server-probe';
import { MariadbBinlogChangeReader, notFound } from './errant-change-reader';
import { errantRanges, historyOf, parseGtidList } from './gtid-set';
import type { RejoinProbe } from './rejoin-probe';

const ranges = (server: string, primary: string) => errantRanges(parseGtidList(server), historyOf(primary));

describe('notFound', () => {
  it('is null when every errant transaction was met', () => {
    expect(notFound(ranges('0-1-103', '0-1-100'), ['0-1-101', '0-1-102', '0-1-103'], ['bin.000004'])).toBeNull();
  });

  it('counts the errant transactions not met and names the files read', () => {
    expect(notFound(ranges('0-1-103,1-1-2', '0-1-100'), ['0-1-103'], ['bin.000003', 'bin.000004'])).toBe(
      '4 of up to 5 errant transactions (0-1-101-103,1-1-1-2) not found in the binlog files read ' +
        '(bin.000003, bin.000004): in older files, or purged',
    );
  });

  it('counts a sequence number once when two servers ranges of a domain overlap (they share the numbers)', () => {
    // Neither 0-3 nor 0-9 is named by the primary: both ranges start above its highest, 150.
    const overlapping = ranges('0-3-152,0-9-153', '0-2-150');
    expect(notFound(overlapping, ['0-3-151', '0-3-152', '0-9-153'], ['bin.000001'])).toBeNull();
    expect(notFound(overlapping, ['0-9-153'], ['bin.000001'])).toMatch(/^2 of up to 3 /);
  });
});

describe('MariadbBinlogChangeReader', () => {
  let directory: string;
  const path = process.env.PATH;

  /** A stand-in mariadb-binlog that prints one errant transaction of three and exits 0. */
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'fake-binlog-'));
    const program = join(directory, 'mariadb-binlog');
    writeFileSync(
      program,
      [
        '#!/bin/sh',
        "cat <<'EOF'",
        '#261129 23:44:14 server id 1  end_log_pos 633 CRC32 0x85d47de3 \tGTID 0-1-103 trans',
        'START TRANSACTION',
        '### INSERT INTO `d`.`t`',
        'COMMIT/*!*/;',
        'EOF',
        '',
      ].join('\n'),
    );
    chmodSync(program, 0o755);
    process.env.PATH = `${directory}${delimiter}${path}`;
  });

  afterAll(() => {
    process.env.PATH = path;
    rmSync(directory, { recursive: true, force: true });
  });

  it('says which errant transactions it did not find, even when mariadb-binlog exits 0', async () => {
    const config = { monitorAccount: { user: 'monitor', password: 'secret' } } as AppConfig;
    const probe = { binlogFiles: async () => ['bin.000001', 'bin.000002'] } as unknown as RejoinProbe;
    const reader = new MariadbBinlogChangeReader(config, probe);
    const server = { key: '127.0.0.1:2', host: '127.0.0.1', port: 2 } as ServerAddress;
    const read = await reader.read(server, ranges('0-1-103', '0-1-100'));
    expect(read.changes).toEqual([{ gtid: '0-1-103', table: 'd.t', operation: 'INSERT', rows: 1 }]);
    expect(read.incomplete).toBe(
      '2 of up to 3 errant transactions (0-1-101-103) not found in the binlog files read (bin.000001, bin.000002): in older files, or purged',
    );
  });
});
