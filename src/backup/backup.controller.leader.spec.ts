import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { LeaderForwarding } from '../cluster';
import { BackupController } from './backup.controller';

const forwarded = (handler: object): boolean =>
  ((Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? []) as unknown[]).includes(LeaderForwarding);

describe('BackupController test restore routes', () => {
  // The job lives in the memory of the node that started it: the leader, since the POST is forwarded there.
  it('forwards both the start and the poll of a test restore to the leader', () => {
    expect(forwarded(BackupController.prototype.testRestore)).toBe(true);
    expect(forwarded(BackupController.prototype.testRestoreJob)).toBe(true);
  });
});

describe('BackupController restore routes', () => {
  // A follower answering the poll from its own memory would say 404 for a restore the leader is running.
  it('forwards both the start and the poll of a restore to the leader', () => {
    expect(forwarded(BackupController.prototype.restore)).toBe(true);
    expect(forwarded(BackupController.prototype.restoreJob)).toBe(true);
  });
});
