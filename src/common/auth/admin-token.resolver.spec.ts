import type { SecretFileStore } from '../fs/secret-file.store';
import { type TokenAnnouncer, resolveAdminToken } from './admin-token.resolver';

class FakeFiles {
  files = new Map<string, { content: string; mode: number }>();
  /** Simulates another process creating the file between our read and our write. */
  raceWith?: string;

  async read(path: string) {
    return this.files.get(path)?.content;
  }
  async createExclusive(path: string, content: string, mode: number) {
    if (this.raceWith) this.files.set(path, { content: this.raceWith, mode: 0o600 });
    if (this.files.has(path)) return false;
    this.files.set(path, { content, mode });
    return true;
  }
  async permissions(path: string) {
    return this.files.get(path)!.mode;
  }
  async restrict(path: string, mode: number) {
    this.files.get(path)!.mode = mode;
  }
}

function announcer() {
  const shown: string[] = [];
  const warnings: string[] = [];
  const value: TokenAnnouncer = { announceGenerated: (token) => shown.push(token), warn: (m) => warnings.push(m) };
  return { value, shown, warnings };
}

const config = (adminToken?: string) => ({
  dataDir: '/data',
  auth: { adminToken, runtimeAccess: 'loopback-open' as const },
});

describe('resolveAdminToken', () => {
  it('uses ADMIN_TOKEN when set and touches no file', async () => {
    const files = new FakeFiles();
    expect(
      await resolveAdminToken(config('from-the-environment'), files as unknown as SecretFileStore, announcer().value),
    ).toBe('from-the-environment');
    expect(files.files.size).toBe(0);
  });

  it('generates a token on first start, stores it 0600, shows it once, and reuses it afterwards', async () => {
    const files = new FakeFiles();
    const first = announcer();
    const token = await resolveAdminToken(config(), files, first.value);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(files.files.get('/data/admin-token')).toEqual({ content: `${token}\n`, mode: 0o600 });
    expect(first.shown).toEqual([token]);

    const second = announcer();
    expect(await resolveAdminToken(config(), files as unknown as SecretFileStore, second.value)).toBe(token);
    expect(second.shown).toEqual([]);
  });

  it('takes the token of a process that won the race to create the file', async () => {
    const files = new FakeFiles();
    files.raceWith = 'the-other-process-token';
    const seen = announcer();
    expect(await resolveAdminToken(config(), files as unknown as SecretFileStore, seen.value)).toBe(
      'the-other-process-token',
    );
    expect(seen.shown).toEqual([]);
  });

  it('tightens a token file that others can read', async () => {
    const files = new FakeFiles();
    files.files.set('/data/admin-token', { content: 'an-existing-token-value\n', mode: 0o644 });
    const seen = announcer();
    await resolveAdminToken(config(), files, seen.value);
    expect(files.files.get('/data/admin-token')!.mode).toBe(0o600);
    expect(seen.warnings[0]).toMatch(/readable by other users/);
  });

  it('refuses a corrupt token file instead of silently replacing it', async () => {
    const files = new FakeFiles();
    files.files.set('/data/admin-token', { content: 'short\n', mode: 0o600 });
    await expect(resolveAdminToken(config(), files as unknown as SecretFileStore, announcer().value)).rejects.toThrow(
      /does not hold a valid admin token/,
    );
  });
});
