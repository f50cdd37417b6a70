import { MariaDbNotInstalledError, findMariaDbBinary } from './mariadb-binaries';

describe('findMariaDbBinary', () => {
  it('finds mariadbd even when /usr/sbin is not on PATH', () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(findMariaDbBinary('mariadbd')).toMatch(/\/mariadbd$/);
    } finally {
      process.env.PATH = saved;
    }
  });

  it('fails, never skips, naming the package to install when a binary is missing', () => {
    expect(() => findMariaDbBinary('mariadbd-that-does-not-exist')).toThrow(MariaDbNotInstalledError);
    expect(() => findMariaDbBinary('mariadbd-that-does-not-exist')).toThrow(/apt-get install -y mariadb-server/);
  });
});
