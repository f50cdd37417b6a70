import { findOnPath } from '../../common/fs/find-on-path';
import { Injectable } from '@nestjs/common';

/** MariaDB's names first; MySQL's as the fallback. */
const CANDIDATES = {
  dump: ['mariadb-dump', 'mysqldump'],
  binlog: ['mariadb-binlog', 'mysqlbinlog'],
  client: ['mariadb', 'mysql'],
  stdbuf: ['stdbuf'],
} as const;

/** stdio buffer asked of a program whose output Node reads: fewer, bigger pipe reads. */
const OUTPUT_BUFFER = '1M';

export type ClientTool = keyof typeof CANDIDATES;

/** Finds the MariaDB/MySQL client programs on PATH once, and says which package is missing. */
@Injectable()
export class ClientTools {
  private readonly found = new Map<ClientTool, string>();

  /**
   * The command line that runs `tool` with a 1 MiB stdout buffer through coreutils'
   * stdbuf when it is installed: mariadb-dump otherwise writes 6-17 KiB at a time, and
   * every small read costs Node a trip through the whole stream pipeline (measured: 8x
   * fewer reads, about 0.4 s less per 228 MB dump). Without stdbuf the tool runs as is.
   */
  withLargeOutputBuffer(tool: ClientTool, args: string[]): { command: string; args: string[] } {
    const program = this.path(tool);
    const stdbuf = this.find('stdbuf');
    return stdbuf ? { command: stdbuf, args: [`-o${OUTPUT_BUFFER}`, program, ...args] } : { command: program, args };
  }

  path(tool: ClientTool): string {
    const found = this.find(tool);
    if (!found)
      throw new Error(`${CANDIDATES[tool].join(' or ')} not found on PATH: install the mariadb-client package`);
    return found;
  }

  private find(tool: ClientTool): string | null {
    const known = this.found.get(tool);
    if (known) return known;
    const found = findOnPath(CANDIDATES[tool]);
    if (found) this.found.set(tool, found);
    return found;
  }
}
