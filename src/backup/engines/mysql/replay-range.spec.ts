import type { MysqlPosition } from '../../backup.types';
import { gtidStopPosition, replayRange } from './mysql-restore.engine';

const fullEnd: MysqlPosition = { kind: 'mysql', gtid: '0-1-100,1-1-7', binlogFile: 'bin.000004', binlogPosition: 342 };

describe('replayRange', () => {
  it('stops only on the domains that moved since the full: an idle domain is left out', () => {
    expect(replayRange(fullEnd, '/tmp/000000-bin.000005', { kind: 'gtid', gtid: '1-1-7,0-1-150' })).toEqual([
      '--start-position=0-1-100,1-1-7',
      '--stop-position=0-1-150',
    ]);
  });

  it('keeps every moved domain, and a domain the full never saw', () => {
    expect(gtidStopPosition(fullEnd.gtid, '0-1-150,1-2-9,2-3-1')).toBe('0-1-150,1-2-9,2-3-1');
  });

  it('has no stop position when no domain moved: the point is the full itself', () => {
    expect(gtidStopPosition(fullEnd.gtid, '0-1-100,1-1-7')).toBeNull();
    expect(replayRange(fullEnd, '/tmp/x', { kind: 'gtid', gtid: '0-1-100,1-1-7' })).toEqual([
      '--start-position=0-1-100,1-1-7',
    ]);
  });

  it('stops on the whole point when the full had no GTID', () => {
    expect(replayRange({ ...fullEnd, gtid: '' }, '/tmp/000000-bin.000004', { kind: 'gtid', gtid: '0-1-3' })).toEqual([
      '--start-position=342',
      '--stop-position=0-1-3',
    ]);
  });
});
