import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AppConfig } from '../../config/app-config';
import type { SecretFileStore } from '../fs/secret-file.store';

export const ADMIN_TOKEN_FILE = 'admin-token';
const OWNER_ONLY = 0o600;
const MIN_TOKEN_LENGTH = 16;

export interface TokenAnnouncer {
  /** Shows a generated token to the operator once; never through the structured log. */
  announceGenerated(token: string, path: string): void;
  warn(message: string): void;
}

/**
 * ADMIN_TOKEN when set; otherwise the token stored in DATA_DIR, generated (and shown
 * once) on the first start. The file is created exclusively with mode 0600.
 */
export async function resolveAdminToken(
  config: Pick<AppConfig, 'auth' | 'dataDir'>,
  files: SecretFileStore,
  announcer: TokenAnnouncer,
): Promise<string> {
  if (config.auth.adminToken) return config.auth.adminToken;
  const path = join(config.dataDir, ADMIN_TOKEN_FILE);
  const stored = await readStoredToken(path, files, announcer);
  if (stored !== undefined) return stored;

  const generated = randomBytes(32).toString('base64url');
  if (await files.createExclusive(path, `${generated}\n`, OWNER_ONLY)) {
    announcer.announceGenerated(generated, path);
    return generated;
  }
  // Another process created it between our read and our write: use theirs.
  const raced = await readStoredToken(path, files, announcer);
  if (raced === undefined) throw new Error(`${path} vanished while starting; start again`);
  return raced;
}

async function readStoredToken(path: string, files: SecretFileStore, announcer: TokenAnnouncer) {
  const content = await files.read(path);
  if (content === undefined) return undefined;
  const token = content.trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new Error(`${path} does not hold a valid admin token; delete it to generate a new one, or set ADMIN_TOKEN`);
  }
  const mode = await files.permissions(path);
  if ((mode & 0o077) !== 0) {
    announcer.warn(`${path} was readable by other users (mode ${mode.toString(8)}); restricting it to 0600`);
    await files.restrict(path, OWNER_ONLY);
  }
  return token;
}

/** Writes straight to stderr so the token never reaches a log collector through the JSON log. */
export const consoleTokenAnnouncer: TokenAnnouncer = {
  announceGenerated(token, path) {
    process.stderr.write(
      `\nlogic-ha generated an admin token (shown once, stored in ${path} with mode 0600):\n\n    ${token}\n\n` +
        `Use it as "Authorization: Bearer <token>" on admin routes. Set ADMIN_TOKEN to choose your own.\n\n`,
    );
  },
  warn(message) {
    process.stderr.write(`logic-ha: ${message}\n`);
  },
};
