import { writeFile } from 'node:fs/promises';
import { toErrorAnswer } from './error-body';
import { DomainError } from './domain-error';
import { isStorageFull, namingFullStorage, storageFull } from './storage-full';

/** The kernel's own ENOSPC, without filling a disk: /dev/full refuses every write. */
async function realEnospc(): Promise<NodeJS.ErrnoException> {
  try {
    await writeFile('/dev/full', 'x');
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  throw new Error('/dev/full accepted a write');
}

describe('full storage', () => {
  it.each([
    ['ENOSPC', Object.assign(new Error('no space'), { code: 'ENOSPC' })],
    ['EDQUOT', Object.assign(new Error('quota'), { code: 'EDQUOT' })],
    [
      'SQLITE_FULL inside a TypeORM QueryFailedError',
      Object.assign(new Error('query failed'), { driverError: { code: 'SQLITE_FULL' } }),
    ],
    [
      'ENOSPC as the cause of another error',
      new Error('pipeline failed', { cause: Object.assign(new Error('x'), { code: 'ENOSPC' }) }),
    ],
  ])('recognises %s', (_name, error) => {
    expect(isStorageFull(error)).toBe(true);
  });

  it.each([[new Error('boom')], [Object.assign(new Error('gone'), { code: 'ENOENT' })], [null], ['ENOSPC']])(
    'does not take %p for a full disk',
    (error) => {
      expect(isStorageFull(error)).toBe(false);
    },
  );

  it('answers 507 STORAGE_FULL naming the path, for an error that reached the filter unmapped', async () => {
    const answer = toErrorAnswer(await realEnospc(), 'req-1', '/data/logic-ha.sqlite');
    expect(answer.body).toMatchObject({
      statusCode: 507,
      code: 'STORAGE_FULL',
      details: { path: '/data/logic-ha.sqlite', errno: 'ENOSPC' },
    });
    expect(answer.body.message).toMatch(/^No space left to write \/data\/logic-ha\.sqlite \(ENOSPC\)/);
    expect(answer.unexpected).toBe(true); // logged: only an operator can free space
  });

  it('names the path of the write that found the disk full, and lets other errors through', async () => {
    const error = await namingFullStorage('/data/configs/logics/a.json', () => writeFile('/dev/full', 'x')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'STORAGE_FULL',
      details: { path: '/data/configs/logics/a.json', errno: 'ENOSPC' },
    });
    await expect(namingFullStorage('/x', () => Promise.reject(new Error('other')))).rejects.toThrow('other');
  });

  it('falls back to the path the error carries', () => {
    expect(
      storageFull(undefined, Object.assign(new Error('x'), { code: 'EDQUOT', path: '/srv/backups/b1' })).details,
    ).toEqual({ path: '/srv/backups/b1', errno: 'EDQUOT' });
  });
});
