import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Injectable } from '@nestjs/common';
import type { ErrantRowChange } from '../../common/events/app-events';
import { findOnPath } from '../../common/fs/find-on-path';
import { AppConfig, type Credentials } from '../../config/app-config';
import type { ServerAddress } from '../probes/server-probe';
import { BinlogChangeCollector } from './binlog-changes';
import { type ErrantRange, formatErrant, parseGtidList } from './gtid-set';
import { RejoinProbe } from './rejoin-probe';

export interface ErrantChanges {
  changes: ErrantRowChange[];
  /** Why the list may be incomplete (output or time bound reached, tool missing); null when read whole. */
  incomplete: string | null;
}

/** The changes errant transactions made, read from the server's own binlog. */
export abstract class ErrantChangeReader {
  abstract read(server: ServerAddress, ranges: ErrantRange[]): Promise<ErrantChanges>;
}

/** Bounds: a person needs the tables and counts, not a dump of a big binlog. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
const MAX_TIME_MS = 20_000;
/**
 * The newest files only: errant transactions are what it wrote last, after it lost its
 * standbys. Any not met in them are counted in `incomplete` (see notFound).
 */
const NEWEST_FILES = 4;

/**
 * `mariadb-binlog --read-from-remote-server` with the monitor's account (REPLICATION SLAVE),
 * rows decoded (`--base64-output=decode-rows -vv`), over the server's newest binlog files;
 * the output is streamed through BinlogChangeCollector, which keeps only the errant GTIDs.
 * The process is killed at MAX_OUTPUT_BYTES or MAX_TIME_MS and the result says so.
 */
@Injectable()
export class MariadbBinlogChangeReader extends ErrantChangeReader {
  private readonly admin: Credentials;

  constructor(
    config: AppConfig,
    private readonly probe: RejoinProbe,
  ) {
    super();
    this.admin = config.monitorAccount ?? { user: '', password: '' };
  }

  async read(server: ServerAddress, ranges: ErrantRange[]): Promise<ErrantChanges> {
    const program = findOnPath(['mariadb-binlog', 'mysqlbinlog']);
    if (!program) return { changes: [], incomplete: 'mariadb-binlog not found on PATH (install mariadb-client)' };
    const files = (await this.probe.binlogFiles(server)).slice(-NEWEST_FILES);
    if (files.length === 0) return { changes: [], incomplete: 'the server has no binary log' };
    const args = [
      '--read-from-remote-server',
      `--host=${server.host}`,
      `--port=${server.port}`,
      `--user=${this.admin.user}`,
      '--base64-output=decode-rows',
      '-vv',
      '--to-last-log',
      files[0],
    ];
    const collector = new BinlogChangeCollector(ranges);
    const stopped = await stream(program, args, { MYSQL_PWD: this.admin.password }, (line) => collector.line(line));
    const missing = notFound(ranges, collector.gtids(), files);
    return { changes: collector.changes(), incomplete: [stopped, missing].filter(Boolean).join('; ') || null };
  }
}

/**
 * Null when every errant transaction was met in the files read; else how many were not, and
 * where it looked. Counted per domain over the union of the ranges, since sequence numbers
 * are shared by a domain's servers: a range is an upper bound (another server's transaction
 * may hold a number in it), so the count is "up to". Missing ones are in older files than the
 * newest read, or purged.
 */
export function notFound(ranges: ErrantRange[], found: string[], files: string[]): string | null {
  let expected = 0;
  let met = 0;
  for (const domain of new Set(ranges.map((range) => range.domain))) {
    const spans = mergedSpans(ranges.filter((range) => range.domain === domain));
    expected += spans.reduce((sum, [from, to]) => sum + to - from + 1, 0);
    const sequences = new Set(
      parseGtidList(found.join(','))
        .filter(
          (gtid) => gtid.domain === domain && spans.some(([from, to]) => gtid.sequence >= from && gtid.sequence <= to),
        )
        .map((gtid) => gtid.sequence),
    );
    met += sequences.size;
  }
  if (met >= expected) return null;
  return (
    `${expected - met} of up to ${expected} errant transactions (${formatErrant(ranges)}) not found in the ` +
    `binlog files read (${files.join(', ')}): in older files, or purged`
  );
}

/** The ranges' [from, to] spans of one domain, overlaps merged. */
function mergedSpans(ranges: ErrantRange[]): [number, number][] {
  const spans: [number, number][] = [];
  for (const { from, to } of [...ranges].sort((a, b) => a.from - b.from)) {
    const last = spans.at(-1);
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else spans.push([from, to]);
  }
  return spans;
}

/** Runs `program`, hands each stdout line to `onLine`; resolves with why it stopped early, or null. */
function stream(
  program: string,
  args: string[],
  env: Record<string, string>,
  onLine: (line: string) => void,
): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stopped: string | null = null;
    let stderr = '';
    const stop = (why: string) => {
      stopped ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(`stopped after ${MAX_TIME_MS} ms`), MAX_TIME_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_OUTPUT_BYTES) stop(`stopped after ${MAX_OUTPUT_BYTES} bytes of output`);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 2000) stderr += chunk.toString();
    });
    createInterface({ input: child.stdout }).on('line', onLine);
    child.on('error', (error) => stop(error.message));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (stopped) resolve(stopped);
      else resolve(code === 0 ? null : `mariadb-binlog exited with ${code}: ${stderr.trim().slice(0, 500)}`);
    });
  });
}
