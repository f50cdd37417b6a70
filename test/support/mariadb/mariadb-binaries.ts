import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Debian's mariadbd lives in /usr/sbin, which is not on every PATH (CI runs with a plain one). */
const EXTRA_DIRECTORIES = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];

export class MariaDbNotInstalledError extends Error {
  constructor(binary: string) {
    super(
      `${binary} was not found on PATH or in ${EXTRA_DIRECTORIES.join(', ')}. The MariaDB suites need a local ` +
        `MariaDB server binary: install the Debian package "mariadb-server" (apt-get install -y mariadb-server). ` +
        `These suites are never skipped.`,
    );
    this.name = 'MariaDbNotInstalledError';
  }
}

/** Absolute path of a MariaDB binary, or a MariaDbNotInstalledError naming the package. */
export function findMariaDbBinary(name: string): string {
  const directories = [...(process.env.PATH ?? '').split(delimiter), ...EXTRA_DIRECTORIES].filter(Boolean);
  for (const directory of directories) {
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new MariaDbNotInstalledError(name);
}
