import { replicaStatus } from '../../../test/support/fake-server-probe';
import { chooseCoveringCandidate, decide } from './zero-loss-guard';

describe('zero-loss guard decisions', () => {
  const base = { required: '0-1-15', lossWaitMs: 5000, allowLoss: false };

  it.each([
    [{ received: '0-1-15', waitedMs: 0 }, { kind: 'covered' }],
    [{ received: '0-1-16', waitedMs: 9000 }, { kind: 'covered' }],
    [
      { received: '0-1-12', waitedMs: 0 },
      { kind: 'wait', missing: '0-1-13..15' },
    ],
    [
      { received: '0-1-12', waitedMs: 4999 },
      { kind: 'wait', missing: '0-1-13..15' },
    ],
    [
      { received: '0-1-12', waitedMs: 5000 },
      { kind: 'refuse', missing: '0-1-13..15' },
    ],
    [
      { received: '0-1-12', waitedMs: 5000, allowLoss: true },
      { kind: 'promote-with-loss', missing: '0-1-13..15' },
    ],
    [
      { received: '', waitedMs: 5000 },
      { kind: 'refuse', missing: '0-1-15' },
    ],
    [{ received: '0-1-1', waitedMs: 0, required: '' }, { kind: 'covered' }],
    [
      { received: '0-1-12', waitedMs: 0, lossWaitMs: 0, allowLoss: true },
      { kind: 'promote-with-loss', missing: '0-1-13..15' },
    ],
  ])('%j -> %j', (input, expected) => {
    expect(decide({ ...base, ...input })).toEqual(expected);
  });

  it('prefers a standby that holds the acknowledged position over one further ahead elsewhere', () => {
    const standbys = [
      { key: 'a', status: replicaStatus({ gtidIoPosition: '0-1-10,1-2-50' }) },
      { key: 'b', status: replicaStatus({ gtidIoPosition: '0-1-15,1-2-5' }) },
    ];
    expect(chooseCoveringCandidate(standbys, '0-1-15,1-2-5').key).toBe('b');
    // Nobody holds it: the most advanced, which then waits.
    expect(chooseCoveringCandidate(standbys, '0-1-15,1-2-50').key).toBe('a');
  });

  it('never prefers a standby that cannot be promoted', () => {
    const standbys = [
      { key: 'a', status: replicaStatus({ gtidIoPosition: '0-1-10' }) },
      { key: 'b', status: replicaStatus({ gtidIoPosition: '0-1-15', sqlRunning: 'No' }) },
    ];
    expect(chooseCoveringCandidate(standbys, '0-1-15').key).toBe('a');
  });
});
