import { replicaStatus } from '../../../test/support/fake-server-probe';
import { diagnoseStandby, gtidContained } from './standby-diagnosis';

const primary = { key: '127.0.0.1:1', host: '127.0.0.1', port: 1 };
const S = '127.0.0.1:2';
const diagnose = (status: Parameters<typeof diagnoseStandby>[0]['status']) =>
  diagnoseStandby({ key: S, status, primary })?.kind ?? null;

describe('diagnoseStandby', () => {
  it('a standby replicating from the primary, both threads running, is healthy', () => {
    expect(diagnose(replicaStatus({ masterPort: 1 }))).toBeNull();
    // Reconnecting with no error yet (just re-pointed, a blip): not a problem.
    expect(diagnose(replicaStatus({ masterPort: 1, ioRunning: 'Connecting' }))).toBeNull();
  });

  it('names each problem', () => {
    expect(diagnose(undefined)).toBe('unreachable');
    expect(diagnose(null)).toBe('not-replicating');
    expect(diagnose(replicaStatus({ masterPort: 9 }))).toBe('wrong-source');
    expect(diagnose(replicaStatus({ masterPort: 1, masterHost: 'db1' }))).toBe('wrong-source');
    expect(diagnose(replicaStatus({ masterPort: 1, ioRunning: 'No' }))).toBe('stopped');
    expect(diagnose(replicaStatus({ masterPort: 1, sqlRunning: 'No' }))).toBe('stopped');
    expect(diagnose(replicaStatus({ masterPort: 1, ioRunning: 'No', lastIoError: 'Access denied' }))).toBe('io-error');
    expect(diagnose(replicaStatus({ masterPort: 1, sqlRunning: 'No', lastSqlError: 'Duplicate entry' }))).toBe(
      'sql-error',
    );
  });

  it('an SQL error wins over everything else (it is never repaired automatically)', () => {
    expect(diagnose(replicaStatus({ masterPort: 9, ioRunning: 'No', sqlRunning: 'No', lastSqlError: 'x' }))).toBe(
      'sql-error',
    );
  });

  it('says what it sees', () => {
    expect(diagnoseStandby({ key: S, status: replicaStatus({ masterPort: 9 }), primary })?.detail).toBe(
      'standby 127.0.0.1:2 replicates from 127.0.0.1:9, not from the primary 127.0.0.1:1',
    );
  });
});

describe('gtidContained', () => {
  it('holds when every domain of the standby is on the primary at the same or a later sequence', () => {
    expect(gtidContained('0-1-10', '0-1-10')).toBe(true);
    expect(gtidContained('0-1-10', '0-2-12')).toBe(true);
    expect(gtidContained('', '0-1-10')).toBe(true);
    expect(gtidContained('0-1-10,1-3-4', '1-3-4, 0-1-11')).toBe(true);
  });

  it('fails on a later sequence or a domain the primary lacks (errant transactions)', () => {
    expect(gtidContained('0-1-11', '0-1-10')).toBe(false);
    expect(gtidContained('0-1-10,5-9-1', '0-1-10')).toBe(false);
  });

  it('refuses what is not a GTID position', () => {
    expect(() => gtidContained('nonsense', '0-1-1')).toThrow(/not a GTID position/);
  });
});
