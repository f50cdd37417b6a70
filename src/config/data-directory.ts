import { mkdirSync } from 'node:fs';

/**
 * DATA_DIR holds the admin token, local config files and backups: created at start,
 * owner-only when logic-ha creates it (an existing folder keeps the mode the operator gave it).
 */
export function prepareDataDirectory(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}
