import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** package.json's version, read once: from src/common (ts-jest) or dist/src/common (build). */
function readVersion(): string {
  for (const candidate of [join(__dirname, '../../package.json'), join(__dirname, '../../../package.json')]) {
    try {
      const parsed = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'logic-ha' && parsed.version) return parsed.version;
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}

export const APP_VERSION = readVersion();
