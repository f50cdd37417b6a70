import { replicaStatus } from '../../../test/support/fake-server-probe';
import { diagnoseStandby, errantAgainst, sourceOf } from './standby-diagnosis';

const primary = { key: '127.0.0.1:1', host: '127.0.0.1', port: 1 };
const S = '127.0.0.1:2';
/** The fenced old primary, say: configured, not the primary. */
const old = { key: '127.0.0.1:9', host: '127.0.0.1', port: 9 };
const servers = [primary, { key: S, host: '127.0.0.1', port: 2 }, old];
const diagnose = (status: Parameters<typeof diagnoseStandby>[0]['status']) =>
  diagnoseStandby({ key: S, status, primary, servers })?.kind ?? null;

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
    expect(diagnose(replicaStatus({ masterPort: 2 }))).toBe('wrong-source');
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
    expect(diagnoseStandby({ key: S, status: replicaStatus({ masterPort: 9 }), primary, servers })?.detail).toBe(
      'standby 127.0.0.1:2 replicates from 127.0.0.1:9 (127.0.0.1:9), not from the primary 127.0.0.1:1',
    );
  });

  it('a source no configured server has (a proxy, NAT, an alias of the primary) is no wrong source', () => {
    // Another spelling of the primary, a proxy's port: judged as if it were the primary.
    expect(diagnose(replicaStatus({ masterPort: 1, masterHost: 'db1' }))).toBeNull();
    expect(diagnose(replicaStatus({ masterPort: 45123 }))).toBeNull();
    // Its threads are still judged.
    expect(diagnose(replicaStatus({ masterPort: 45123, ioRunning: 'No' }))).toBe('stopped');
    expect(diagnose(replicaStatus({ masterPort: 45123, ioRunning: 'Connecting', lastIoError: 'x' }))).toBe('io-error');
  });
});

describe('sourceOf', () => {
  it('tells the primary, another configured server and an unknown address apart', () => {
    expect(sourceOf(replicaStatus({ masterPort: 1 }), primary, servers)).toEqual({ kind: 'primary' });
    expect(sourceOf(replicaStatus({ masterPort: 9 }), primary, servers)).toEqual({ kind: 'other', server: old.key });
    expect(sourceOf(replicaStatus({ masterPort: 9, masterHost: 'proxy' }), primary, servers)).toEqual({
      kind: 'unknown',
    });
  });
});

describe('errantAgainst', () => {
  it('nothing errant when every (domain, server_id) of the standby is in the primary history at the same or a later sequence', () => {
    expect(errantAgainst(['0-1-10'], ['0-1-10'])).toBe('');
    expect(errantAgainst(['', '0-1-10'], ['0-1-12'])).toBe('');
    expect(errantAgainst(['0-1-10,1-3-4'], ['1-3-4,0-1-11'])).toBe('');
    // After a failover: the new primary (server 2) holds server 1's transactions in its binlog state.
    expect(errantAgainst(['0-1-500'], ['0-1-500,0-2-600'])).toBe('');
  });

  it('a later sequence, or a domain the primary lacks, is errant', () => {
    expect(errantAgainst(['0-1-11'], ['0-1-10'])).toBe('0-1-11');
    expect(errantAgainst(['0-1-10,5-9-1'], ['0-1-10'])).toBe('5-9-1');
  });

  it('a server_id the primary never saw in that domain is errant, whatever the sequence numbers', () => {
    // The old per-domain check called this contained: 501 <= 600.
    expect(errantAgainst(['0-3-501'], ['0-1-600'])).toBe('0-3-1-501');
    expect(errantAgainst(['0-1-500,0-3-2'], ['0-1-600', '0-1-600'])).toBe('0-3-1-2');
  });

  it('refuses what is not a GTID list', () => {
    expect(() => errantAgainst(['nonsense'], ['0-1-1'])).toThrow(/not a GTID/);
  });
});
