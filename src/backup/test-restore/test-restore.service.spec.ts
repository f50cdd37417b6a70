import type { BackupManifest } from '../backup.types';
import { TestRestoreService } from './test-restore.service';

const manifest = {
  id: 'f1',
  type: 'full',
  verification: { at: { kind: 'mysql', gtid: '0-1-1', binlogFile: 'b.1', binlogPosition: 4 }, tables: {} },
} as unknown as BackupManifest;

function service(lock: unknown, prepare: (target: unknown) => Promise<unknown> = async (target) => target) {
  const scratch = {
    lock: jest.fn(async () => lock),
    prepare: jest.fn(prepare),
    drop: jest.fn(async () => undefined),
    describe: () => 'scratch@db',
  };
  const never = new Promise(() => undefined);
  const restores = { restore: jest.fn(() => never) };
  const catalog = {
    find: async () => ({ state: 'succeeded' }),
    markRestoreChecked: jest.fn(async () => undefined),
  };
  const svc = new TestRestoreService(
    { now: () => new Date('2026-01-01T00:00:00Z') },
    { emit: jest.fn() } as never,
    catalog as never,
    { chainOf: async () => [manifest] } as never,
    restores as never,
    scratch as never,
    () => ({
      endpoint: { host: 'h', port: 3306, user: 'u', password: 'p', database: 'scratch' },
      unlogged: true,
      liveServers: [],
    }),
  );
  return { svc, scratch, restores, catalog };
}

describe('TestRestoreService concurrency', () => {
  it('reserves the slot before its first await: of two starts in one tick, the second is refused', async () => {
    const { svc, scratch } = service({ release: async () => undefined });
    const first = svc.start('f1');
    const second = svc.start('f1');
    await expect(second).rejects.toMatchObject({ code: 'TEST_RESTORE_ALREADY_RUNNING' });
    await expect(first).resolves.toMatchObject({ state: 'running' });
    expect(scratch.lock).toHaveBeenCalledTimes(1);
  });

  it("refuses with 409 while another process holds the server's test restore lock, and can start again after", async () => {
    const { svc } = service(null);
    await expect(svc.start('f1')).rejects.toMatchObject({
      code: 'TEST_RESTORE_ALREADY_RUNNING',
      message: expect.stringContaining('logic_ha_test_restore'),
    });
    await expect(svc.start('f1')).rejects.toMatchObject({ message: expect.stringContaining('another process') });
  });
});

describe('TestRestoreService scratch guard', () => {
  it('restores into the prepared scratch database without forcing a DROP of the target', async () => {
    const { svc, scratch, restores } = service({ release: async () => undefined });
    await svc.start('f1');
    expect(scratch.prepare).toHaveBeenCalledTimes(1);
    expect(restores.restore).toHaveBeenCalledWith(
      expect.objectContaining({ force: false, unlogged: true }),
      expect.anything(),
      expect.anything(),
    );
  });

  it('answers a refused scratch target at start, releases the lock and records nothing', async () => {
    const release = jest.fn(async () => undefined);
    const refusal = Object.assign(new Error('logic-ha will not drop a database it did not create'), {
      code: 'RESTORE_TARGET_REFUSED',
    });
    const { svc, restores, catalog } = service({ release }, async () => Promise.reject(refusal));
    await expect(svc.start('f1')).rejects.toBe(refusal);
    expect(release).toHaveBeenCalledTimes(1);
    expect(restores.restore).not.toHaveBeenCalled();
    expect(catalog.markRestoreChecked).not.toHaveBeenCalled();
  });
});
