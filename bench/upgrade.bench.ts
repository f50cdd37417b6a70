import 'reflect-metadata';
import { execFileSync, spawn } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options.factory';
import { describeMigrations } from '../src/database/migrator/known-migrations';
import { fullScriptBuild, logicSolutionInstallScript } from '../test/support/logic-solution-scripts';
import { MariaDbServer } from '../test/support/mariadb';
import { fillInstances } from './servers/fill-instances';

/**
 * The downtime of an upgrade: a logic-solution 0.7.4 database with ROWS instances taken to
 * the current schema by `upgrade --baseline` (the built CLI, as operators run it: backup,
 * lock, checksums, one transaction per migration, schema check), against the same
 * migrations' SQL run by hand on an identical database (the baseline: what an operator
 * would paste into the mariadb client, no backup, no checks). Ratio = logic-ha's migration
 * time over the bare SQL's (median of ROUNDS, the order alternating); the backup and the
 * whole command are reported beside it.
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CLI = join(__dirname, '..', 'dist', 'src', 'cli.js');

async function installLogicSolution074(server: MariaDbServer, database: string): Promise<void> {
  await server.createDatabaseWithUser(database, 'app', 'app-password');
  const connection = await server.connectAsRoot(database);
  try {
    for (const statement of logicSolutionInstallScript(fullScriptBuild('0.7.4'), 'mysql'))
      await connection.query(statement);
  } finally {
    await connection.end();
  }
}

/** The SQL of every migration after 0.7.4 on this engine, in order, as `db plan --sql` prints it. */
async function pendingSql(server: MariaDbServer, database: string): Promise<string[]> {
  const primary = { host: server.host, port: server.port, user: 'root', password: '', database };
  const options = buildDataSourceOptions({
    database: { type: 'mysql', primary, standbys: [], connectTimeoutMs: 5000, poolSize: 1 },
    runMigrationsOnInit: false,
  });
  const dataSource = await new DataSource({ ...options, logging: false }).initialize();
  try {
    const known = await describeMigrations(dataSource);
    return known.slice(known.findIndex((m) => m.schemaVersion === '0.7.4') + 1).flatMap((m) => m.up.map((s) => s.sql));
  } finally {
    await dataSource.destroy();
  }
}

async function bareUpgrade(server: MariaDbServer, database: string, statements: string[]): Promise<number> {
  const connection = await server.connectAsRoot(database);
  try {
    const started = performance.now();
    for (const statement of statements) await connection.query(statement);
    return performance.now() - started;
  } finally {
    await connection.end();
  }
}

interface UpgradeReport {
  ok: boolean;
  durationMs: number;
  applied: { schemaVersion: string; durationMs: number }[];
}

async function logicHaUpgrade(
  server: MariaDbServer,
  database: string,
  dataDir: string,
): Promise<{ report: UpgradeReport; wallMs: number }> {
  const env = {
    PATH: process.env.PATH ?? '',
    DB_TYPE: 'mysql',
    DB_PRIMARY_URL: `mysql://app:app-password@127.0.0.1:${server.port}/${database}`,
    DB_ADMIN_USER: 'root',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  };
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, 'upgrade', '--baseline'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`upgrade exited with ${code}: ${out}`);
  return { report: JSON.parse(out.trim().split('\n').pop()!), wallMs };
}

async function main(): Promise<void> {
  execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'build-if-stale.js')], { stdio: 'inherit' });
  const server = await MariaDbServer.start({
    serverId: 73,
    extraArgs: ['--innodb-buffer-pool-size=2G', '--innodb-log-file-size=512M'],
  });
  const work = await mkdtemp(join(tmpdir(), 'logic-ha-upgrade-bench-'));
  try {
    const loadAtStart = Math.round(loadavg()[0] * 100) / 100;
    const rounds: { bareMs: number; report: UpgradeReport; wallMs: number }[] = [];
    let statements: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const bare = `bench_bare_${round}`;
      const logicHa = `bench_logicha_${round}`;
      for (const database of [bare, logicHa]) {
        await installLogicSolution074(server, database);
        await fillInstances(server, database, ROWS);
      }
      statements = await pendingSql(server, bare);
      // Alternate which goes first, so neither always meets the warmer buffer pool.
      const runBare = () => bareUpgrade(server, bare, statements);
      const runLogicHa = () => logicHaUpgrade(server, logicHa, join(work, `data-${round}`));
      if (round % 2 === 0) {
        const bareMs = await runBare();
        rounds.push({ bareMs, ...(await runLogicHa()) });
      } else {
        const logicHaRun = await runLogicHa();
        rounds.push({ bareMs: await runBare(), ...logicHaRun });
      }
      if (!rounds[round].report.ok) throw new Error(`upgrade not ok: ${JSON.stringify(rounds[round].report)}`);
    }
    const migrationsMs = (r: (typeof rounds)[number]) =>
      r.report.applied.reduce((sum, step) => sum + step.durationMs, 0);
    const ratios = rounds.map((r) => Math.round((migrationsMs(r) / r.bareMs) * 1000) / 1000);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    console.log(
      JSON.stringify({
        bench: 'upgrade',
        rows: ROWS,
        from: '0.7.4',
        statements: statements.length,
        bareSqlMs: rounds.map((r) => Math.round(r.bareMs)),
        logicHaMigrationsMs: rounds.map(migrationsMs),
        perMigrationMs: Object.fromEntries(
          rounds[0].report.applied.map((step) => [step.schemaVersion, step.durationMs]),
        ),
        logicHaUpgradeMs: rounds.map((r) => r.report.durationMs),
        backupAndChecksMs: rounds.map((r) => r.report.durationMs - migrationsMs(r)),
        commandWallMs: rounds.map((r) => Math.round(r.wallMs)),
        ratios,
        ratio: median(ratios),
        loadAtStart,
      }),
    );
  } finally {
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
