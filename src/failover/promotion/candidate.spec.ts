import { replicaStatus } from '../../../test/support/fake-server-probe';
import { chooseCandidate } from './candidate';

describe('chooseCandidate', () => {
  it('picks the standby that received the most', () => {
    const choice = chooseCandidate([
      { key: 'a', status: replicaStatus({ gtidIoPosition: '0-1-10' }) },
      { key: 'b', status: replicaStatus({ gtidIoPosition: '0-1-12' }) },
      { key: 'c', status: replicaStatus({ gtidIoPosition: '0-1-11' }) },
    ]);
    expect(choice.key).toBe('b');
  });

  it('breaks a tie in configuration order', () => {
    expect(
      chooseCandidate([
        { key: 'a', status: replicaStatus() },
        { key: 'b', status: replicaStatus() },
      ]).key,
    ).toBe('a');
  });

  it('skips unreachable standbys and those whose SQL thread stopped, even if further ahead', () => {
    const choice = chooseCandidate([
      { key: 'a', status: null },
      {
        key: 'b',
        status: replicaStatus({ gtidIoPosition: '0-1-20', sqlRunning: 'No', lastSqlError: 'duplicate key' }),
      },
      { key: 'c', status: replicaStatus({ gtidIoPosition: '0-1-5' }) },
    ]);
    expect(choice.key).toBe('c');
  });

  it('says why nobody can be promoted', () => {
    const choice = chooseCandidate([
      { key: 'a', status: null },
      { key: 'b', status: replicaStatus({ sqlRunning: 'No', lastSqlError: 'duplicate key' }) },
    ]);
    expect(choice).toEqual({
      key: null,
      reason: 'a: unreachable or not replicating; b: SQL thread No (duplicate key)',
    });
    expect(chooseCandidate([])).toEqual({ key: null, reason: 'no standby configured' });
  });
});
