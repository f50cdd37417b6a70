import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Injectable } from '@nestjs/common';

/** MariaDB's names first; MySQL's as the fallback. */
const CANDIDATES = {
  dump: ['mariadb-dump', 'mysqldump'],
  binlog: ['mariadb-binlog', 'mysqlbinlog'],
  client: ['mariadb', 'mysql'],
} as const;

export type ClientTool = keyof typeof CANDIDATES;

/** Finds the MariaDB/MySQL client programs on PATH once, and says which package is missing. */
@Injectable()
export class ClientTools {
  private readonly found = new Map<ClientTool, string>();

  path(tool: ClientTool): string {
    const known = this.found.get(tool);
    if (known) return known;
    const directories = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
    for (const name of CANDIDATES[tool]) {
      for (const directory of directories) {
        const candidate = join(directory, name);
        if (isExecutable(candidate)) {
          this.found.set(tool, candidate);
          return candidate;
        }
      }
    }
    throw new Error(`${CANDIDATES[tool].join(' or ')} not found on PATH: install the mariadb-client package`);
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
