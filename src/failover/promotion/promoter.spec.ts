import { Logger } from '@nestjs/common';
import { FakeServerProbe, replicaStatus } from '../../../test/support/fake-server-probe';
import { Promoter } from './promoter';
import { FailoverStepError, StepRecorder } from './step-recorder';

const candidate = { key: 's1', host: '127.0.0.1', port: 1 };

describe('Promoter', () => {
  let probe: FakeServerProbe;
  let steps: StepRecorder;

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => {
    probe = new FakeServerProbe().add('s1', { readOnly: true, replica: replicaStatus({ gtidIoPosition: '0-1-42' }) });
    steps = new StepRecorder(new Logger('test'), 'fo-test');
  });

  it('stops receiving, waits for the received position, detaches, then (separately) accepts writes', async () => {
    const promoter = new Promoter(probe, 5000);
    await promoter.prepare(candidate, steps);
    expect(probe.server('s1').readOnly).toBe(true);
    await promoter.enableWrites(candidate, steps);
    expect(probe.calls).toEqual([
      's1 stopReplicaIo',
      's1 waitForApplied:0-1-42',
      's1 detachReplica',
      's1 setReadOnly:false',
    ]);
    expect(steps.steps.map((s) => [s.name, s.ok])).toEqual([
      ['stop-io-thread', true],
      ['read-received-position', true],
      ['apply-relay-log', true],
      ['detach-from-old-primary', true],
      ['enable-writes', true],
    ]);
    expect(probe.server('s1').readOnly).toBe(false);
  });

  it('refuses an empty received position instead of waiting on it (MASTER_GTID_WAIT would return at once)', async () => {
    probe.server('s1').replica!.gtidIoPosition = '';
    await expect(new Promoter(probe, 5000).prepare(candidate, steps)).rejects.toThrow(FailoverStepError);
    expect(probe.calls).toEqual(['s1 stopReplicaIo']);
    expect(steps.steps.at(-1)).toMatchObject({
      name: 'read-received-position',
      ok: false,
      detail: expect.stringMatching(/no received GTID position/),
    });
    expect(probe.server('s1').readOnly).toBe(true);
  });

  it('stops when the relay log is not applied in time, leaving the standby read-only and attached', async () => {
    probe.server('s1').appliesWithinTimeout = false;
    const failure = await new Promoter(probe, 250).prepare(candidate, steps).catch((error: FailoverStepError) => error);
    expect(failure).toMatchObject({
      step: 'apply-relay-log',
      message: expect.stringMatching(/did not apply 0-1-42 within 250 ms/),
    });
    expect(probe.calls).not.toContain('s1 detachReplica');
    expect(probe.server('s1').readOnly).toBe(true);
  });
});
