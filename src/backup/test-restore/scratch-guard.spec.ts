import { checkAgainstLive } from './scratch-guard';

const endpoint = (host: string, database: string) => ({ host, port: 3306, user: 'u', password: 'p', database });

describe('checkAgainstLive', () => {
  it('refuses the app database on the same server under another host name, naming BACKUP_TEST_RESTORE_URL', () => {
    const live = [{ endpoint: endpoint('127.0.0.1', 'logic_ha'), identity: 'server-a' }];
    expect(() => checkAgainstLive(endpoint('localhost', 'logic_ha'), 'server-a', live)).toThrow(
      expect.objectContaining({
        code: 'RESTORE_TARGET_REFUSED',
        message: expect.stringContaining('BACKUP_TEST_RESTORE_URL'),
        details: { field: 'BACKUP_TEST_RESTORE_URL' },
      }),
    );
  });

  it('answers "on a live server" for another database there, and not for another server', () => {
    const live = [{ endpoint: endpoint('127.0.0.1', 'logic_ha'), identity: 'server-a' }];
    expect(checkAgainstLive(endpoint('localhost', 'scratch'), 'server-a', live)).toBe(true);
    expect(checkAgainstLive(endpoint('127.0.0.1', 'logic_ha'), 'server-b', live)).toBe(false);
  });

  it('refuses the app database name when a live server could not be identified', () => {
    const live = [{ endpoint: endpoint('standby', 'logic_ha'), identity: null }];
    expect(() => checkAgainstLive(endpoint('other', 'logic_ha'), 'server-b', live)).toThrow(/possibly on/);
    expect(checkAgainstLive(endpoint('other', 'scratch'), 'server-b', live)).toBe(false);
  });
});
