import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, createWriteStream, openSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DataSource } from 'typeorm';
import { BackupReader } from '../src/backup/backup-reader';
import { KeyRing } from '../src/backup/crypto/key-ring';
import { type BackupManifest, type BackupType } from '../src/backup/backup.types';
import { newBackupId } from '../src/backup/backup-id';
import { storeConfigsArchive } from '../src/backup/configs-archive';
import { MysqlBackupEngine } from '../src/backup/engines/mysql/mysql-backup.engine';
import { MysqlRestoreEngine } from '../src/backup/engines/mysql/mysql-restore.engine';
import { assembleManifest, serialiseManifest } from '../src/backup/manifest';
import { ClientTools } from '../src/backup/process/client-tools';
import { ProcessRunner } from '../src/backup/process/process-runner';
import { ProgressTracker } from '../src/backup/progress';
import { ByteMeter } from '../src/backup/streams/byte-meter';
import { checkStoredFile } from '../src/backup/streams/read-file';
import { RestoreService } from '../src/backup/restore.service';
import { LocalBackupStorage } from '../src/backup/storage/local-backup.storage';
import { buildDataSourceOptions } from '../src/database/data-source-options.factory';
import { MariaDbServer } from '../test/support/mariadb';
import { fillInstances } from './servers/fill-instances';
import { ENTITIES } from '../src/entities';

/**
 * 1,000,000 logic_instance rows in `logic_ha` on a private MariaDB (binlog + GTID, 2 GiB
 * buffer pool so the source and a restored copy both fit, 512 MiB redo log), schema from
 * the project's migrations. Measured in one run, alternating which side goes first each
 * round, the server left to flush its dirty pages before every measurement, median reported:
 * - full: MysqlBackupEngine.full + configs archive + manifest (what BackupService does)
 *   against `mariadb-dump` with the engine's flags writing straight to a file (no Node, no gzip);
 * - restore: RestoreService.restore of that full (sha256 check, gunzip, `mariadb`, row counts)
 *   into a fresh database against `mariadb --database=x < dumpfile` into another one;
 * - incremental: 1% of rows updated after a full, then MysqlBackupEngine.incremental (+ configs,
 *   manifest) against the full's time. Round 0's parent full lies in the binlog file that
 *   also holds the 1M-row fill, so it is reported apart (`incrementalFirst*`).
 * Diagnostics (where the full's time goes): `mariadb-dump --single-transaction` alone,
 * `mariadb-dump | gzip -1`, the dump's bytes through this process with no transform, the dump
 * to a file then gzip -1 + sha256 from it, and the engine at gzip level 0.
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DATABASE = 'logic_ha';
const COMPRESSION_LEVEL = 1;

const DUMP_FLAGS = [
  '--single-transaction',
  '--gtid',
  '--master-data=2',
  '--routines',
  '--triggers',
  '--hex-blob',
  '--quick',
  '--default-character-set=utf8mb4',
];

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const r2 = (n: number) => Math.round(n * 100) / 100;
const r3 = (n: number) => Math.round(n * 1000) / 1000;

async function seconds<T>(work: () => Promise<T>): Promise<{ s: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { s: Number(process.hrtime.bigint() - started) / 1e9, value };
}

/** CPU seconds (user + system) of this process, of its reaped children, and of mariadbd, from /proc. */
function cpu(serverPid: number) {
  const ticks = (pid: number | 'self') => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // after "pid (comm) ": state=0 … utime=11 stime=12 cutime=13 cstime=14 (clock ticks, 100/s)
    return {
      own: (Number(fields[11]) + Number(fields[12])) / 100,
      children: (Number(fields[13]) + Number(fields[14])) / 100,
    };
  };
  const self = ticks('self');
  return { node: self.own, children: self.children, mariadbd: ticks(serverPid).own };
}

function cpuDelta(before: ReturnType<typeof cpu>, after: ReturnType<typeof cpu>) {
  return {
    node: r2(after.node - before.node),
    clients: r2(after.children - before.children),
    mariadbd: r2(after.mariadbd - before.mariadbd),
  };
}

/** Runs a client program with stdin/stdout bound to files (as a shell's `<` / `>`), failing on a non-zero exit. */
function runTool(command: string, args: string[], files: { stdin?: string; stdout?: string }): Promise<void> {
  const stdin = files.stdin ? openSync(files.stdin, 'r') : 'ignore';
  const stdout = files.stdout ? openSync(files.stdout, 'w') : 'ignore';
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { stdio: [stdin, stdout, 'pipe'], env: { ...process.env, MYSQL_PWD: '' } });
    let stderr = '';
    child.stderr!.on('data', (text: Buffer) => (stderr += text.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (typeof stdin === 'number') closeSync(stdin);
      if (typeof stdout === 'number') closeSync(stdout);
      if (code === 0) resolve();
      else reject(new Error(`${command} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

/** Runs both sides of a round, the baseline first in even rounds, so neither always gets the warmer server. */
async function alternating<A, B>(
  round: number,
  logicHa: () => Promise<A>,
  plain: () => Promise<B>,
): Promise<{ logicHa: A; plain: B }> {
  if (round % 2 === 0) {
    const plainResult = await plain();
    return { plain: plainResult, logicHa: await logicHa() };
  }
  const logicHaResult = await logicHa();
  return { logicHa: logicHaResult, plain: await plain() };
}

let settleSeconds = 0;

/**
 * Waits until InnoDB has flushed what the previous step dirtied, so no step pays for the
 * one before: the page cleaner flushes everything at a raised I/O capacity (the default,
 * 200 pages/s, would take minutes after an import), then the defaults come back; then
 * the page cache is written back.
 */
async function settle(server: MariaDbServer): Promise<void> {
  const started = Date.now();
  await server.query(
    'SET GLOBAL innodb_io_capacity_max = 100000; SET GLOBAL innodb_io_capacity = 50000; SET GLOBAL innodb_max_dirty_pages_pct = 0',
  );
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const [row] = await server.query<{ Value: string }[]>("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'");
      if (Number(row.Value) < 100) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await server.query(
      'SET GLOBAL innodb_max_dirty_pages_pct = DEFAULT; SET GLOBAL innodb_io_capacity = DEFAULT; SET GLOBAL innodb_io_capacity_max = DEFAULT',
    );
  }
  // The binlog and the dump files go through the page cache (sync_binlog=0): write it back
  // now, or the kernel throttles whichever later import crosses its dirty limit.
  await runTool('sync', [], {});
  await new Promise((resolve) => setTimeout(resolve, 500));
  settleSeconds += (Date.now() - started) / 1000;
}

async function main(): Promise<void> {
  const server = await MariaDbServer.start({
    serverId: 72,
    extraArgs: ['--innodb-buffer-pool-size=2G', '--innodb-log-file-size=512M'],
  });
  const work = await mkdtemp(join(tmpdir(), 'logic-ha-backup-bench-'));
  try {
    const loadAtStart = r2(loadavg()[0]);
    const endpoint = await server.createDatabaseWithUser(DATABASE, 'app', 'app-password');
    const database = { type: 'mysql' as const, primary: endpoint, standbys: [], connectTimeoutMs: 5000, poolSize: 2 };
    const dataSource = await new DataSource({
      ...buildDataSourceOptions({ database, runMigrationsOnInit: true, entities: ENTITIES }),
      logging: false,
    }).initialize();
    await dataSource.destroy();
    const fillSeconds = await fillInstances(server, DATABASE, ROWS);

    const runner = new ProcessRunner();
    const tools = new ClientTools();
    const source = { host: server.host, port: server.port, user: 'root', password: '', database: DATABASE };
    const engine = new MysqlBackupEngine(source, runner, tools);
    const storage = new LocalBackupStorage(join(work, 'storage'));
    const configsDir = join(work, 'configs-missing');
    const client = ['--host=127.0.0.1', `--port=${server.port}`, '--user=root', '--protocol=TCP'];
    let lastStamp = '';

    /** What BackupService.execute does around the engine, minus the catalog rows. */
    async function logicHaBackup(
      type: BackupType,
      parent: BackupManifest | null,
      compressionLevel = COMPRESSION_LEVEL,
    ): Promise<BackupManifest> {
      // Ids have millisecond resolution: never reuse the previous one's timestamp.
      let id = newBackupId(type, new Date());
      while (id.slice(0, -1) <= lastStamp) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        id = newBackupId(type, new Date());
      }
      lastStamp = id.slice(0, -1);
      const startedAt = new Date();
      const tempDir = await mkdtemp(join(work, `backup-${id}-`));
      try {
        const context = {
          backupId: id,
          storage,
          compressionLevel,
          signal: new AbortController().signal,
          progress: new ProgressTracker(),
          tempDir,
        };
        const result = parent ? await engine.incremental(context, parent) : await engine.full(context);
        const configs = await storeConfigsArchive(storage, id, configsDir, context);
        const manifest = assembleManifest({
          id,
          type,
          parent,
          tag: null,
          engine: 'mysql',
          schemaVersion: null,
          result,
          files: [...result.files, configs],
          startedAt,
          finishedAt: new Date(),
        });
        await storage.writeManifest(id, serialiseManifest(manifest));
        return manifest;
      } finally {
        await rm(tempDir, { recursive: true, force: true });
      }
    }

    const dumpFile = (round: number) => join(work, `plain-${round}.sql`);
    const plainDump = (round: number) =>
      runTool(tools.path('dump'), [...client, ...DUMP_FLAGS, DATABASE], { stdout: dumpFile(round) });
    const scratch = join(work, 'scratch.out');

    /** Diagnostic: the dump's bytes through this process to a file, nothing else (the floor of streaming it through Node). */
    async function dumpThroughNode(): Promise<void> {
      const dump = runner.start(tools.path('dump'), [...client, ...DUMP_FLAGS, DATABASE], { env: { MYSQL_PWD: '' } });
      await Promise.all([pipeline(dump.stdout, createWriteStream(scratch)), dump.finished]);
    }

    /** Diagnostic: dump straight to a file, then gzip level 1 + sha256 from it with 1 MiB reads (no Node on the dump's path). */
    async function dumpThenGzip(round: number): Promise<void> {
      await plainDump(round);
      await pipeline(
        createReadStream(dumpFile(round), { highWaterMark: 1 << 20 }),
        createGzip({ level: COMPRESSION_LEVEL }),
        new ByteMeter({ hash: true }),
        createWriteStream(scratch),
      );
    }

    // --- full backups and incrementals --------------------------------------------------
    const full: { logicHa: number; plain: number; cpuLogicHa: object; cpuPlain: object }[] = [];
    const diag: { bareDump: number; dumpGzip: number; throughNode: number; dumpThenGzip: number }[] = [];
    const incremental: { s: number; files: { name: string; rawBytes: number; sizeBytes: number }[] }[] = [];
    const fulls: BackupManifest[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const measureLogicHa = async () => {
        await settle(server);
        const before = cpu(server.pid!);
        const { s, value } = await seconds(() => logicHaBackup('full', null));
        fulls[round] = value;
        return { s, cpu: cpuDelta(before, cpu(server.pid!)) };
      };
      const measurePlain = async () => {
        await settle(server);
        const before = cpu(server.pid!);
        const { s } = await seconds(() => plainDump(round));
        return { s, cpu: cpuDelta(before, cpu(server.pid!)) };
      };
      const { logicHa, plain } = await alternating(round, measureLogicHa, measurePlain);
      full.push({ logicHa: logicHa.s, plain: plain.s, cpuLogicHa: logicHa.cpu, cpuPlain: plain.cpu });

      // 1% of the rows, a different 1% each round, then an incremental on this round's full.
      await server.query(`UPDATE ${DATABASE}.logic_instance SET retryTimes = retryTimes + 1 WHERE id LIKE ?`, [
        `seed-%${String(round).padStart(2, '0')}`,
      ]);
      await settle(server);
      const { s, value } = await seconds(() => logicHaBackup('incremental', fulls[round]));
      incremental.push({
        s,
        files: value.files
          .filter((f) => f.role === 'binlog')
          .map(({ name, rawBytes, sizeBytes }) => ({ name, rawBytes, sizeBytes })),
      });

      await settle(server);
      const bareDump = await seconds(() =>
        runTool(tools.path('dump'), [...client, '--single-transaction', DATABASE], { stdout: scratch }),
      );
      await settle(server);
      const dumpGzip = await seconds(() =>
        runTool(
          'bash',
          ['-o', 'pipefail', '-c', `${tools.path('dump')} ${[...client, ...DUMP_FLAGS, DATABASE].join(' ')} | gzip -1`],
          { stdout: scratch },
        ),
      );
      await settle(server);
      const throughNode = await seconds(dumpThroughNode);
      await settle(server);
      const thenGzip = await seconds(() => dumpThenGzip(ROUNDS + round));
      diag.push({ bareDump: bareDump.s, dumpGzip: dumpGzip.s, throughNode: throughNode.s, dumpThenGzip: thenGzip.s });
    }
    const last = ROUNDS - 1;
    const dumpBytes = statSync(dumpFile(last)).size;
    const fullDump = fulls[last].files.find((f) => f.role === 'dump')!;

    // Where the full's time goes: the same engine at gzip level 0 (stored blocks: no deflate work).
    await settle(server);
    const level0 = await seconds(() => logicHaBackup('full', null, 0));

    // --- restores -------------------------------------------------------------------------
    const restores = new RestoreService(
      new BackupReader(storage, KeyRing.none()),
      { mysql: new MysqlRestoreEngine(runner, tools), sqlite: undefined as any },
      join(work, 'restore-tmp'),
    );
    const restore: { logicHa: number; plain: number; verify: number; count: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const measureLogicHa = async () => {
        const target = `restored_${round}`;
        await settle(server);
        const { s, value } = await seconds(() =>
          restores.restore(
            { backupId: fulls[last].id, target: `mysql://root@127.0.0.1:${server.port}/${target}`, force: false },
            new ProgressTracker(),
            new AbortController().signal,
          ),
        );
        if (value.rowCounts.logic_instance !== ROWS)
          throw new Error(
            `logic-ha restore holds ${value.rowCounts.logic_instance} logic_instance rows, expected ${ROWS}`,
          );
        await server.query(`DROP DATABASE ${target}`);
        return s;
      };
      const measurePlain = async () => {
        const target = `plain_${round}`;
        await settle(server);
        const { s } = await seconds(async () => {
          await server.query(`CREATE DATABASE ${target} CHARACTER SET utf8mb4`);
          await runTool(tools.path('client'), [...client, '--binary-mode', `--database=${target}`], {
            stdin: dumpFile(last),
          });
        });
        // The row count logic-ha's restore ends with, timed here for the breakdown.
        const counted = await seconds(() =>
          server.query<{ n: number }[]>(`SELECT COUNT(*) AS n FROM ${target}.logic_instance`),
        );
        const [{ n }] = counted.value;
        if (Number(n) !== ROWS) throw new Error(`plain import holds ${n} logic_instance rows, expected ${ROWS}`);
        await server.query(`DROP DATABASE ${target}`);
        return { s, count: counted.s };
      };
      const { logicHa, plain } = await alternating(round, measureLogicHa, measurePlain);
      // The sha256 check restore runs before writing anything, timed alone for the breakdown.
      const verify = await seconds(async () => {
        for (const file of fulls[last].files)
          if (!(await checkStoredFile(storage, fulls[last].id, file)).ok)
            throw new Error(`${file.name} does not verify`);
      });
      restore.push({ logicHa, plain: plain.s, verify: verify.s, count: plain.count });
    }

    const fullSeconds = median(full.map((r) => r.logicHa));
    const plainDumpSeconds = median(full.map((r) => r.plain));
    const restoreSeconds = median(restore.map((r) => r.logicHa));
    const plainImportSeconds = median(restore.map((r) => r.plain));
    // Round 0's parent full sits in the binlog file that also holds the migrations and the
    // 1M-row fill, and an incremental fetches whole files; later rounds' fulls sit in a file
    // the previous incremental's FLUSH BINARY LOGS opened, holding only that round's update.
    const steady = incremental.slice(1).map((r) => r.s);
    const incrementalSeconds = steady.length > 0 ? median(steady) : incremental[0].s;

    console.log(
      JSON.stringify({
        bench: 'backup',
        rows: ROWS,
        fillSeconds: Math.round(fillSeconds),
        fullSeconds: r2(fullSeconds),
        plainDumpSeconds: r2(plainDumpSeconds),
        fullRatio: r3(fullSeconds / plainDumpSeconds),
        restoreSeconds: r2(restoreSeconds),
        plainImportSeconds: r2(plainImportSeconds),
        restoreRatio: r3(restoreSeconds / plainImportSeconds),
        incrementalSeconds: r2(incrementalSeconds),
        incrementalRatio: r3(incrementalSeconds / fullSeconds),
        incrementalFirstSeconds: r2(incremental[0].s),
        incrementalFirstRatio: r3(incremental[0].s / fullSeconds),
        rounds: {
          full: full.map((r) => ({
            logicHa: r2(r.logicHa),
            plain: r2(r.plain),
            ratio: r3(r.logicHa / r.plain),
            cpuLogicHa: r.cpuLogicHa,
            cpuPlain: r.cpuPlain,
          })),
          restore: restore.map((r) => ({
            logicHa: r2(r.logicHa),
            plain: r2(r.plain),
            ratio: r3(r.logicHa / r.plain),
            verify: r2(r.verify),
            count: r2(r.count),
          })),
          incremental: incremental.map((r) => ({ s: r2(r.s), binlogs: r.files })),
        },
        sizes: { dumpBytes, storedDumpBytes: fullDump.sizeBytes, dumpRawBytesMatch: fullDump.rawBytes === dumpBytes },
        diagnostics: {
          bareSingleTransactionDumpSeconds: r2(median(diag.map((d) => d.bareDump))),
          plainDumpGzip1Seconds: r2(median(diag.map((d) => d.dumpGzip))),
          dumpThroughNodeSeconds: r2(median(diag.map((d) => d.throughNode))),
          dumpToFileThenGzipSeconds: r2(median(diag.map((d) => d.dumpThenGzip))),
          fullGzipLevel0Seconds: r2(level0.s),
          restoreVerifySeconds: r2(median(restore.map((r) => r.verify))),
          rowCountSeconds: r2(median(restore.map((r) => r.count))),
        },
        settleSeconds: Math.round(settleSeconds),
        loadAverage1m: { atStart: loadAtStart, atEnd: r2(loadavg()[0]) },
      }),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
