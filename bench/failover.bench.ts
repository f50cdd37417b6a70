import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnApp } from '../test/support/app-process';
import { startWriteLoad } from '../test/support/instance-writer';
import { type MariaDbServer, startFailoverCluster } from '../test/support/mariadb';

/**
 * Time to recover from kill -9 of the primary, as clients see it. Per round: a fresh
 * semi-sync primary + standby (the harness's private servers, the shipped accounts),
 * logic-ha built and run as its own process with default failover settings
 * (HEARTBEAT_INTERVAL_MS=1000, FAILURE_THRESHOLD=3), four writers starting instances
 * through the HTTP API. SIGKILL the primary, then measure the time from the kill to the
 * first write the API acknowledges, and count acknowledged writes missing on the promoted
 * server. Baseline, same run: the same kill on a fresh pair recovered by hand the moment
 * the death is known (STOP SLAVE; RESET SLAVE ALL; read_only = OFF; one INSERT): the
 * floor that detection adds to.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WRITERS = 4;
const HEARTBEAT_INTERVAL_MS = 1000;
const DEFAULT_WINDOW_MS = 3 * HEARTBEAT_INTERVAL_MS;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

interface Round {
  recoveryMs: number;
  detectionMs: number;
  failoverMs: number;
  acknowledged: number;
  lost: number;
  rejected503: number;
  other: number;
  failures: Record<string, number>;
  unexpectedErrors: string[];
}

async function round(index: number): Promise<Round> {
  const cluster = await startFailoverCluster({ replicas: 1, serverIdBase: 200 + index * 10 });
  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-bench-failover-'));
  const app = spawnApp(cwd, {
    ...cluster.env(),
    PORT: '0',
    ADMIN_TOKEN: 'bench-admin-token-0123456789',
    LOG_LEVEL: 'info',
  });
  try {
    const baseUrl = await app.listening();
    await sleep(1500); // a few heartbeats: the standby has been seen replicating
    const load = startWriteLoad(baseUrl, { writers: WRITERS, logicId: 'bench' });
    // A crash comes at any point of the heartbeat cycle: the kill lands at a random phase.
    await sleep(1000 + Math.random() * HEARTBEAT_INTERVAL_MS);
    const killedAt = Date.now();
    await cluster.primary.kill();
    const firstAck = await load.firstAckAfter(killedAt, 30_000);
    await sleep(500);
    await load.stop();
    const rows = await cluster.replicas[0].query<{ bizId: string }[]>(
      "SELECT bizId FROM logic_ha.logic_instance WHERE logicId = 'bench'",
    );
    const present = new Set(rows.map((row) => row.bizId));
    const lines = app
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, any>);
    const started = lines.find((line) => line.msg === 'failover started');
    const done = lines.find((line) => line.msg === 'failover done');
    return {
      recoveryMs: firstAck - killedAt,
      detectionMs: started ? Date.parse(started.time) - killedAt : NaN,
      failoverMs: done?.tookMs ?? NaN,
      acknowledged: load.acknowledged.length,
      lost: load.acknowledged.filter((bizId) => !present.has(bizId)).length,
      rejected503: load.failures.get(503) ?? 0,
      other: [...load.failures].filter(([status]) => status !== 503).reduce((sum, [, n]) => sum + n, 0),
      failures: Object.fromEntries(load.failures),
      unexpectedErrors: [
        ...new Set(
          lines
            .filter((line) => line.msg === 'unexpected error')
            .map((line) => String(line.err).split('\n').slice(0, 3).join(' | ')),
        ),
      ],
    };
  } finally {
    app.child.kill('SIGTERM');
    await app.exited;
    await cluster.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** The floor: a human who already knows the primary is dead promotes the standby and writes once. */
async function manualPromotionMs(): Promise<number> {
  const cluster = await startFailoverCluster({ replicas: 1, serverIdBase: 300 });
  try {
    await cluster.primary.kill();
    const standby: MariaDbServer = cluster.replicas[0];
    const started = performance.now();
    await standby.query(
      'STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = OFF; CREATE TABLE IF NOT EXISTS logic_ha.bench_probe (id int primary key); INSERT INTO logic_ha.bench_probe VALUES (1)',
    );
    return performance.now() - started;
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'build-if-stale.js')], { stdio: 'inherit' });
  const baselineMs = await manualPromotionMs();
  const rounds: Round[] = [];
  for (let index = 0; index < ROUNDS; index++) {
    const result = await round(index);
    rounds.push(result);
    process.stderr.write(`round ${index + 1}: ${JSON.stringify(result)}\n`);
  }
  const recovery = rounds.map((r) => r.recoveryMs);
  const p50 = percentile(recovery, 50);
  const max = Math.max(...recovery);
  console.log(
    JSON.stringify({
      bench: 'failover',
      rounds: ROUNDS,
      writers: WRITERS,
      settings: {
        HEARTBEAT_INTERVAL_MS: 1000,
        FAILURE_THRESHOLD: 3,
        HEARTBEAT_TIMEOUT_MS: 1000,
        semiSync: 'AFTER_SYNC',
      },
      recoveryMs: recovery,
      p50Ms: p50,
      maxMs: max,
      detectionMs: rounds.map((r) => r.detectionMs),
      failoverMs: rounds.map((r) => r.failoverMs),
      lostAcknowledgedWrites: rounds.reduce((sum, r) => sum + r.lost, 0),
      acknowledgedWrites: rounds.reduce((sum, r) => sum + r.acknowledged, 0),
      rejected503: rounds.reduce((sum, r) => sum + r.rejected503, 0),
      otherFailures: rounds.reduce((sum, r) => sum + r.other, 0),
      baselineManualPromotionMs: Math.round(baselineMs),
      ratioP50ToTarget: Math.round((p50 / 3000) * 100) / 100,
      ratioMaxToTarget: Math.round((max / 5000) * 100) / 100,
      ratioP50ToDetectionWindow: Math.round((p50 / DEFAULT_WINDOW_MS) * 100) / 100,
      machine: { cpus: cpus().length, loadavg: loadavg().map((n) => Math.round(n * 100) / 100) },
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
