import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupLock } from './backup-lock';

/** Starts a hold whose work runs until `finish()`; resolves once the lock is held. */
async function holding(lock: BackupLock, what: string, short = false) {
  let finish!: () => void;
  let started!: () => void;
  const held = new Promise<void>((resolve) => (started = resolve));
  const done = lock.hold(
    what,
    () => {
      started();
      return new Promise<void>((resolve) => (finish = resolve));
    },
    short,
  );
  await held;
  return { finish, done };
}

describe('BackupLock.hold', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'logic-ha-backup-lock-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('keeps out a backup, retention or another rekey while a rekey holds it, naming the holder', async () => {
    const lock = new BackupLock(root);
    const rekey = await holding(lock, 'rekey');
    await expect(lock.hold('retention', async () => 'ran')).rejects.toMatchObject({
      code: 'BACKUP_ALREADY_RUNNING',
      message: expect.stringContaining('retention refused: rekey holds the backup lock'),
    });
    // Another process (its own BackupLock on the same directory) is kept out too.
    expect(await new BackupLock(root).tryAcquire(() => undefined)).toBeNull();
    rekey.finish();
    await rekey.done;
    expect(await lock.hold('retention', async () => 'ran')).toBe('ran');
  });

  it('a backup started during a short hold (retention) waits for it instead of being refused', async () => {
    const lock = new BackupLock(root);
    const order: string[] = [];
    const retention = await holding(lock, 'retention', true);
    const backup = lock.tryAcquire(() => undefined).then((release) => (order.push('backup'), release));
    order.push('retention done');
    retention.finish();
    await retention.done;
    const release = await backup;
    expect(release).not.toBeNull();
    expect(order).toEqual(['retention done', 'backup']);
    await release!();
  });
});
