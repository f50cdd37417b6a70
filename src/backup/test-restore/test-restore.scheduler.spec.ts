import type { SchedulerRegistry } from '@nestjs/schedule';
import { RecordingEventBus, SwitchableLeadership } from '../../../test/support/failover-fakes';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import type { AppConfig } from '../../config/app-config';
import { BackupErrorCode } from '../backup.errors';
import { TestRestoreScheduler } from './test-restore.scheduler';
import type { TestRestoreService } from './test-restore.service';

const config = {
  database: { type: 'mysql' },
  backup: { testRestoreSchedule: '0 3 * * 0', timeZone: 'UTC' },
} as unknown as AppConfig;

function scheduler(run: () => Promise<unknown>) {
  const events = new RecordingEventBus();
  const testRestores = { run: jest.fn(run) } as unknown as TestRestoreService;
  const leadership = new SwitchableLeadership();
  const tick = new TestRestoreScheduler(
    config,
    {} as SchedulerRegistry,
    testRestores,
    false,
    leadership,
    events.asBus(),
  );
  return { tick: () => tick.tick(), events };
}

const refusal = (code: BackupErrorCode, message: string) => new DomainError(code, ErrorKind.Conflict, message);

describe('TestRestoreScheduler: a run that cannot start', () => {
  it.each([
    ['unreadable storage', new Error('ENOENT: no such file or directory, open manifest.json')],
    ['a refused scratch target', refusal(BackupErrorCode.TargetRefused, 'will not drop a database it did not create')],
    ['an unreachable scratch target', refusal(BackupErrorCode.TargetUnreachable, 'connect ECONNREFUSED')],
    [
      'no fingerprints in the chain',
      refusal(BackupErrorCode.TestRestoreNoFingerprint, 'no backup recorded fingerprints'),
    ],
  ])('emits backup.test-restore-failed for %s', async (_case, error) => {
    const { tick, events } = scheduler(() => Promise.reject(error));
    expect(await tick()).toEqual({ status: 'not-started', reason: error.message });
    expect(events.emitted).toEqual([
      {
        name: 'backup.test-restore-failed',
        payload: { id: null, reason: expect.stringContaining(error.message), tables: [] },
      },
    ]);
  });

  it.each([
    ['one already running', refusal(BackupErrorCode.TestRestoreRunning, 'test restore test-restore-1 is running')],
    ['no full backup yet', refusal(BackupErrorCode.NoFullBackup, 'there is no successful full backup')],
  ])('stays quiet for %s: the next tick tries again', async (_case, error) => {
    const { tick, events } = scheduler(() => Promise.reject(error));
    expect(await tick()).toEqual({ status: 'not-started', reason: error.message });
    expect(events.emitted).toEqual([]);
  });

  it('leaves a run that started to the service, which emits its own failure', async () => {
    const { tick, events } = scheduler(async () => ({ ok: false, backupId: 'f1', error: 'rows differ' }));
    expect(await tick()).toEqual({ status: 'failed', backupId: 'f1', reason: 'rows differ' });
    expect(events.emitted).toEqual([]);
  });
});
