import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, openSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DataSource } from 'typeorm';
import { BackupReader } from '../src/backup/backup-reader';
import { type BackupManifest, type BackupType } from '../src/backup/backup.types';
import { newBackupId } from '../src/backup/backup-id';
import { storeConfigsArchive } from '../src/backup/configs-archive';
import { assertEncryptedAsConfigured } from '../src/backup/crypto/encryption-guard';
import { KeyRing } from '../src/backup/crypto/key-ring';
import { MysqlBackupEngine } from '../src/backup/engines/mysql/mysql-backup.engine';
import { MysqlRestoreEngine } from '../src/backup/engines/mysql/mysql-restore.engine';
import { assembleManifest, serialiseManifest } from '../src/backup/manifest';
import { ClientTools } from '../src/backup/process/client-tools';
import { ProcessRunner } from '../src/backup/process/process-runner';
import { ProgressTracker } from '../src/backup/progress';
import { ByteMeter } from '../src/backup/streams/byte-meter';
import { checkStoredFile } from '../src/backup/streams/read-file';
import { RestoreService } from '../src/backup/restore.service';
import { type BackupStorage } from '../src/backup/storage/backup-storage';
import { LocalBackupStorage } from '../src/backup/storage/local-backup.storage';
import { S3BackupStorage } from '../src/backup/storage/s3/s3-backup.storage';
import { MasterKey } from '../src/config/encryption-keys';
import { buildDataSourceOptions } from '../src/database/data-source-options.factory';
import { MariaDbServer } from '../test/support/mariadb';
import { S3rverProcess } from '../test/support/s3/s3rver';
import { measureCipherCost } from './servers/cipher-cost';
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
 *
 * S3 and encryption (issue 17), in the same rounds, every side in a rotating order:
 * - full: the same full into S3BackupStorage on a private s3rver (own process, loopback),
 *   plain and with BACKUP_ENCRYPTION=aes-256-gcm, and into local storage encrypted (which
 *   isolates the cipher from S3);
 * - restore: RestoreService.restore of the last round's S3 fulls (plain and encrypted),
 *   against the same `mariadb` import baseline;
 * - cipher: the ChunkEncryptor / ChunkDecryptor alone on a few hundred MiB of the dump held
 *   in memory, CPU seconds per GiB, next to gzip level 1 and Node's bare aes-256-gcm.
 * BENCH_BACKUP_S3=0 leaves out the S3 sides, BENCH_BACKUP_ENCRYPTION=0 the encrypted sides
 * and the cipher measurement; with both at 0 the run measures what it measured before.
 * BENCH_CIPHER_MIB sets the cipher measurement's input (default 384).
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WITH_S3 = process.env.BENCH_BACKUP_S3 !== '0';
const WITH_ENCRYPTION = process.env.BENCH_BACKUP_ENCRYPTION !== '0';
const CIPHER_BYTES = Number(process.env.BENCH_CIPHER_MIB ?? 384) * 1024 * 1024;
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

/** CPU seconds (user + system) of this process, of its reaped children, of mariadbd and of s3rver, from /proc. */
function cpu(serverPid: number, s3rverPid?: number) {
  const ticks = (pid: number | 'self') => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // after "pid (comm) ": state=0 … utime=11 stime=12 cutime=13 cstime=14 (clock ticks, 100/s)
    return {
      own: (Number(fields[11]) + Number(fields[12])) / 100,
      children: (Number(fields[13]) + Number(fields[14])) / 100,
    };
  };
  const self = ticks('self');
  return {
    node: self.own,
    children: self.children,
    mariadbd: ticks(serverPid).own,
    s3rver: s3rverPid ? ticks(s3rverPid).own : 0,
  };
}

function cpuDelta(before: ReturnType<typeof cpu>, after: ReturnType<typeof cpu>) {
  return {
    node: r2(after.node - before.node),
    clients: r2(after.children - before.children),
    mariadbd: r2(after.mariadbd - before.mariadbd),
    ...(after.s3rver ? { s3rver: r2(after.s3rver - before.s3rver) } : {}),
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

/**
 * Runs every side of a round, the list rotated by one each round, so no side always gets the
 * warmer server. With two sides [baseline, logic-ha] this is the old alternation: the
 * baseline first in even rounds.
 */
async function rotating<K extends string, T>(round: number, sides: Record<K, () => Promise<T>>): Promise<Record<K, T>> {
  const names = Object.keys(sides) as K[];
  const results = {} as Record<K, T>;
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round) % names.length];
    results[name] = await sides[name]();
  }
  return results;
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

/** Where a logic-ha full goes: storage and keys (encrypting or not). */
interface Target {
  storage: BackupStorage;
  keys: KeyRing;
}

type FullSide = 'plain' | 'logicHa' | 'localEncrypted' | 's3' | 's3Encrypted';
type RestoreSide = 'plain' | 'logicHa' | 's3' | 's3Encrypted';
type Measured = { s: number; cpu: ReturnType<typeof cpuDelta> };

const medianOf = <K extends string>(rounds: Partial<Record<K, number>>[], side: K) =>
  median(rounds.map((r) => r[side]!));

async function main(): Promise<void> {
  const server = await MariaDbServer.start({
    serverId: 72,
    extraArgs: ['--innodb-buffer-pool-size=2G', '--innodb-log-file-size=512M'],
  });
  const s3 = WITH_S3 ? await S3rverProcess.start() : null;
  const s3Client = s3?.client();
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
    const plainKeys = KeyRing.none();
    const encryptingKeys = new KeyRing('aes-256-gcm', [new MasterKey('bench', randomBytes(32))]);
    const local: Target = { storage, keys: plainKeys };
    const s3Storage =
      s3 && s3Client
        ? new S3BackupStorage(s3.config('bench/'), s3Client, {
            logger: { warn: (message: unknown) => console.error(JSON.stringify(message)) },
          })
        : null;
    const configsDir = join(work, 'configs-missing');
    const client = ['--host=127.0.0.1', `--port=${server.port}`, '--user=root', '--protocol=TCP'];
    const cpuNow = () => cpu(server.pid!, s3?.child.pid);
    let lastStamp = '';

    /** What BackupService.execute does around the engine, minus the catalog rows. */
    async function logicHaBackup(
      type: BackupType,
      parent: BackupManifest | null,
      { target = local, compressionLevel = COMPRESSION_LEVEL }: { target?: Target; compressionLevel?: number } = {},
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
        const envelope = target.keys.encrypting ? target.keys.newEnvelope(id) : null;
        const context = {
          backupId: id,
          storage: target.storage,
          compressionLevel,
          signal: new AbortController().signal,
          progress: new ProgressTracker(),
          tempDir,
          seal: envelope?.seal ?? null,
          keys: target.keys,
        };
        const result = parent ? await engine.incremental(context, parent) : await engine.full(context);
        const configs = await storeConfigsArchive(target.storage, id, configsDir, context);
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
          encryption: envelope?.encryption,
        });
        assertEncryptedAsConfigured(manifest, envelope?.seal ?? null, target.keys.encrypting ? 'aes-256-gcm' : 'none');
        await target.storage.writeManifest(id, serialiseManifest(manifest));
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

    /** Settles the server, then times `work` and the CPU it took everywhere. */
    async function measured<T>(work: () => Promise<T>): Promise<Measured & { value: T }> {
      await settle(server);
      const before = cpuNow();
      const { s, value } = await seconds(work);
      return { s, value, cpu: cpuDelta(before, cpuNow()) };
    }

    // --- full backups and incrementals --------------------------------------------------
    const fullTargets: Partial<Record<Exclude<FullSide, 'plain'>, Target>> = {
      logicHa: local,
      ...(WITH_ENCRYPTION ? { localEncrypted: { storage, keys: encryptingKeys } } : {}),
      ...(s3Storage ? { s3: { storage: s3Storage, keys: plainKeys } } : {}),
      ...(s3Storage && WITH_ENCRYPTION ? { s3Encrypted: { storage: s3Storage, keys: encryptingKeys } } : {}),
    };
    const full: Partial<Record<FullSide, Measured>>[] = [];
    const fullsBy: Partial<Record<Exclude<FullSide, 'plain'>, BackupManifest[]>> = {};
    const diag: { bareDump: number; dumpGzip: number; throughNode: number; dumpThenGzip: number }[] = [];
    const incremental: { s: number; files: { name: string; rawBytes: number; sizeBytes: number }[] }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const sides: Partial<Record<FullSide, () => Promise<Measured>>> = {
        plain: () => measured(() => plainDump(round)),
      };
      for (const [side, target] of Object.entries(fullTargets) as [Exclude<FullSide, 'plain'>, Target][])
        sides[side] = async () => {
          const { value, ...rest } = await measured(() => logicHaBackup('full', null, { target }));
          (fullsBy[side] ??= [])[round] = value;
          return rest;
        };
      full.push(await rotating(round, sides as Record<FullSide, () => Promise<Measured>>));

      // 1% of the rows, a different 1% each round, then an incremental on this round's full.
      await server.query(`UPDATE ${DATABASE}.logic_instance SET retryTimes = retryTimes + 1 WHERE id LIKE ?`, [
        `seed-%${String(round).padStart(2, '0')}`,
      ]);
      await settle(server);
      const { s, value } = await seconds(() => logicHaBackup('incremental', fullsBy.logicHa![round]));
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
    const fulls = fullsBy.logicHa!;
    const dumpBytes = statSync(dumpFile(last)).size;
    const storedDump = (manifest: BackupManifest) => manifest.files.find((f) => f.role === 'dump')!;
    const fullDump = storedDump(fulls[last]);

    // Where the full's time goes: the same engine at gzip level 0 (stored blocks: no deflate work).
    await settle(server);
    const level0 = await seconds(() => logicHaBackup('full', null, { compressionLevel: 0 }));

    // --- restores -------------------------------------------------------------------------
    const restoreServiceOf = (target: Target) =>
      new RestoreService(
        new BackupReader(target.storage, target.keys),
        { mysql: new MysqlRestoreEngine(runner, tools), sqlite: undefined as any },
        join(work, 'restore-tmp'),
      );
    /** The full each logic-ha restore side restores (the last round's), and from where. */
    const restoreFrom: Partial<Record<Exclude<RestoreSide, 'plain'>, { manifest: BackupManifest; target: Target }>> = {
      logicHa: { manifest: fulls[last], target: local },
      ...(fullTargets.s3 ? { s3: { manifest: fullsBy.s3![last], target: fullTargets.s3 } } : {}),
      ...(fullTargets.s3Encrypted
        ? { s3Encrypted: { manifest: fullsBy.s3Encrypted![last], target: fullTargets.s3Encrypted } }
        : {}),
    };
    const restore: (Partial<Record<RestoreSide, number>> & { verify: number; count: number })[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let count = 0;
      const sides: Partial<Record<RestoreSide, () => Promise<number>>> = {
        plain: async () => {
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
          count = counted.s;
          return s;
        },
      };
      for (const [side, from] of Object.entries(restoreFrom) as [
        Exclude<RestoreSide, 'plain'>,
        { manifest: BackupManifest; target: Target },
      ][])
        sides[side] = async () => {
          const target = `restored_${side}_${round}`;
          await settle(server);
          const { s, value } = await seconds(() =>
            restoreServiceOf(from.target).restore(
              { backupId: from.manifest.id, target: `mysql://root@127.0.0.1:${server.port}/${target}`, force: false },
              new ProgressTracker(),
              new AbortController().signal,
            ),
          );
          if (value.rowCounts.logic_instance !== ROWS)
            throw new Error(
              `${side} restore holds ${value.rowCounts.logic_instance} logic_instance rows, expected ${ROWS}`,
            );
          await server.query(`DROP DATABASE ${target}`);
          return s;
        };
      const times = await rotating(round, sides as Record<RestoreSide, () => Promise<number>>);
      // The sha256 check restore runs before writing anything, timed alone for the breakdown.
      const verify = await seconds(async () => {
        for (const file of fulls[last].files)
          if (!(await checkStoredFile(storage, fulls[last].id, file)).ok)
            throw new Error(`${file.name} does not verify`);
      });
      restore.push({ ...times, verify: verify.s, count });
    }

    // --- the cipher alone, on the dump's bytes in memory, the server idle -----------------
    const cipher = WITH_ENCRYPTION ? await measureCipherCost(await readFile(dumpFile(last)), CIPHER_BYTES) : null;

    const fullMedian = (side: FullSide) => median(full.map((r) => r[side]!.s));
    const fullSeconds = fullMedian('logicHa');
    const plainDumpSeconds = fullMedian('plain');
    const restoreSeconds = medianOf(restore, 'logicHa');
    const plainImportSeconds = medianOf(restore, 'plain');
    // Round 0's parent full sits in the binlog file that also holds the migrations and the
    // 1M-row fill, and an incremental fetches whole files; later rounds' fulls sit in a file
    // the previous incremental's FLUSH BINARY LOGS opened, holding only that round's update.
    const steady = incremental.slice(1).map((r) => r.s);
    const incrementalSeconds = steady.length > 0 ? median(steady) : incremental[0].s;

    /** Per side: median seconds, and the ratio of medians to `base`; also the median of per-round ratios. */
    const fullColumn = (side: FullSide, base: FullSide) => ({
      seconds: r2(fullMedian(side)),
      ratio: r3(fullMedian(side) / fullMedian(base)),
      medianRoundRatio: r3(median(full.map((r) => r[side]!.s / r[base]!.s))),
    });
    const restoreColumn = (side: RestoreSide, base: RestoreSide) => ({
      seconds: r2(medianOf(restore, side)),
      ratio: r3(medianOf(restore, side) / medianOf(restore, base)),
      medianRoundRatio: r3(median(restore.map((r) => r[side]! / r[base]!))),
    });
    const has = (side: FullSide) => side in full[0];
    const hasRestore = (side: RestoreSide) => side in restore[0];
    /** Encryption CPU for one stored dump of this size, from the cipher measurement. */
    const perStoredDump = (cpuSecondsPerGiB: number) => r3((cpuSecondsPerGiB * fullDump.sizeBytes) / 1024 ** 3);

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
        // issue 17: encrypted / plain full (target <= 1.1), S3 / local full, restores / mariadb import
        ...(has('localEncrypted') ? { encryptedFullRatioLocal: fullColumn('localEncrypted', 'logicHa').ratio } : {}),
        ...(has('s3Encrypted') ? { encryptedFullRatioS3: fullColumn('s3Encrypted', 's3').ratio } : {}),
        ...(has('s3') ? { s3FullRatio: fullColumn('s3', 'logicHa').ratio } : {}),
        ...(hasRestore('s3') ? { s3RestoreRatio: restoreColumn('s3', 'plain').ratio } : {}),
        ...(hasRestore('s3Encrypted') ? { s3EncryptedRestoreRatio: restoreColumn('s3Encrypted', 'plain').ratio } : {}),
        ...(hasRestore('s3Encrypted') && hasRestore('s3')
          ? { encryptedRestoreRatioS3: restoreColumn('s3Encrypted', 's3').ratio }
          : {}),
        ...(cipher
          ? {
              encryptCpuSecondsPerGiB: cipher.chunkEncryptor.cpuSecondsPerGiB,
              decryptCpuSecondsPerGiB: cipher.chunkDecryptor.cpuSecondsPerGiB,
              gzip1CpuSecondsPerGiB: cipher.gzip1.cpuSecondsPerGiB,
            }
          : {}),
        fulls: {
          ...(has('localEncrypted') ? { localEncrypted: fullColumn('localEncrypted', 'logicHa') } : {}),
          ...(has('s3') ? { s3: fullColumn('s3', 'logicHa') } : {}),
          ...(has('s3Encrypted')
            ? { s3Encrypted: fullColumn('s3Encrypted', 's3'), s3EncryptedVsLocal: fullColumn('s3Encrypted', 'logicHa') }
            : {}),
        },
        restores: {
          ...(hasRestore('s3') ? { s3: restoreColumn('s3', 'plain') } : {}),
          ...(hasRestore('s3Encrypted')
            ? {
                s3Encrypted: restoreColumn('s3Encrypted', 'plain'),
                s3EncryptedVsS3: restoreColumn('s3Encrypted', 's3'),
              }
            : {}),
        },
        rounds: {
          full: full.map((r) => ({
            logicHa: r2(r.logicHa!.s),
            plain: r2(r.plain!.s),
            ratio: r3(r.logicHa!.s / r.plain!.s),
            cpuLogicHa: r.logicHa!.cpu,
            cpuPlain: r.plain!.cpu,
            ...Object.fromEntries(
              (['localEncrypted', 's3', 's3Encrypted'] as const)
                .filter((side) => r[side])
                .map((side) => [side, { s: r2(r[side]!.s), cpu: r[side]!.cpu }]),
            ),
          })),
          restore: restore.map((r) => ({
            logicHa: r2(r.logicHa!),
            plain: r2(r.plain!),
            ratio: r3(r.logicHa! / r.plain!),
            verify: r2(r.verify),
            count: r2(r.count),
            ...(r.s3 !== undefined ? { s3: r2(r.s3) } : {}),
            ...(r.s3Encrypted !== undefined ? { s3Encrypted: r2(r.s3Encrypted) } : {}),
          })),
          incremental: incremental.map((r) => ({ s: r2(r.s), binlogs: r.files })),
        },
        sizes: {
          dumpBytes,
          storedDumpBytes: fullDump.sizeBytes,
          dumpRawBytesMatch: fullDump.rawBytes === dumpBytes,
          ...(fullsBy.localEncrypted
            ? { storedEncryptedDumpBytes: storedDump(fullsBy.localEncrypted[last]).sizeBytes }
            : {}),
        },
        ...(cipher
          ? {
              cipher: {
                ...cipher,
                encryptCpuSecondsPerStoredDump: perStoredDump(cipher.chunkEncryptor.cpuSecondsPerGiB),
                decryptCpuSecondsPerStoredDump: perStoredDump(cipher.chunkDecryptor.cpuSecondsPerGiB),
              },
            }
          : {}),
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
    s3Client?.destroy();
    await Promise.all([server.stop(), s3?.stop()]);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
