import { describeFailure } from './backup-failure';

describe('describeFailure', () => {
  const signal = new AbortController().signal;

  it('records a full disk as STORAGE_FULL naming the backup storage, as the API answers it', () => {
    const failure = describeFailure(
      Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
      signal,
      'local:/srv/backups',
    );
    expect(failure).toEqual({
      code: 'STORAGE_FULL',
      reason: expect.stringMatching(/^No space left to write local:\/srv\/backups \(ENOSPC\)/),
    });
  });

  it('names the file instead when the error carries it (the temp copy may be what filled DATA_DIR)', () => {
    const error = Object.assign(new Error('quota'), { code: 'EDQUOT', path: '/data/tmp/backup-1/db.sqlite' });
    expect(describeFailure(error, signal, 'local:/srv/backups').reason).toMatch(
      /^No space left to write \/data\/tmp\/backup-1\/db\.sqlite \(EDQUOT\)/,
    );
  });

  it('keeps BACKUP_FAILED for anything else', () => {
    expect(describeFailure(new Error('boom'), signal, 'local:/srv/backups')).toEqual({
      code: 'BACKUP_FAILED',
      reason: 'boom',
    });
  });
});
