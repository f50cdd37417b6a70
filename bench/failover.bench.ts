import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, type Socket, createConnection, createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminHttp } from '../test/support/app-http';
import { spawnApp } from '../test/support/app-process';
import { startWriteLoad } from '../test/support/instance-writer';
import { type FailoverCluster, type MariaDbServer, startFailoverCluster } from '../test/support/mariadb';

/**
 * Time to recover from the loss of the primary, as clients see it. Per round: a fresh
 * semi-sync primary + standby (the harness's private servers, the shipped accounts),
 * logic-ha built and run as its own process, four writers starting instances through the
 * HTTP API. The primary is lost at a random phase of the heartbeat cycle; measured: the
 * time from the loss to the first write the API acknowledges, and acknowledged writes
 * missing on the promoted server.
 *
 * Scenarios (`BENCH_SCENARIOS`, comma-separated; default all), one JSON line each:
 * - `kill-9`: SIGKILL; the fast path (default settings) against today's behaviour
 *   (FAILOVER_FAST_CONFIRM_MS=0), rounds alternating in the same run;
 * - `sigstop`: SIGSTOP past the window (a hung primary), fast path on and off: unchanged;
 * - `sigstop-short`: SIGSTOP for 1.5 s (less than the 3 s window), then SIGCONT: no failover;
 * - `restart`: the primary's process gone and back within 500 / 800 ms (a TCP front the
 *   monitor and the standby both go through closes every connection and stops listening,
 *   then listens again: refusals then handshakes, as a process restart looks from outside),
 *   and a real mariadbd kill -9 + immediate restart, whose own start time is reported;
 * - `switch-back-kill`: a switchover, a switch back 3 s later, then SIGKILL (issue 18
 *   part 5), against the `kill-9` fast rounds of the same run.
 * Floor, same run: the same kill on a fresh pair recovered by hand the moment the death is
 * known (STOP SLAVE; RESET SLAVE ALL; read_only = OFF; one INSERT).
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'kill-9,sigstop,sigstop-short,restart,switch-back-kill').split(',');
const WRITERS = 4;
const HEARTBEAT_INTERVAL_MS = 1000;
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const TODAY = { FAILOVER_FAST_CONFIRM_MS: '0' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const machine = () => ({ cpus: cpus().length, loadavg: loadavg().map((n) => Math.round(n * 100) / 100) });

interface Round {
  recoveryMs: number;
  detectionMs: number;
  failoverMs: number;
  applyRelayLogMs: number;
  reason: string;
  acknowledged: number;
  lost: number;
  rejected503: number;
  other: number;
}

type Loss = (cluster: FailoverCluster) => Promise<void>;

/** A fresh pair, logic-ha as its own process, writers; `before` runs under the writers, then `lose` at a random phase. */
async function round(index: number, env: Record<string, string>, lose: Loss, before?: Before): Promise<Round> {
  const cluster = await startFailoverCluster({ replicas: 1, serverIdBase: 200 + index * 10 });
  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-bench-failover-'));
  const app = spawnApp(cwd, { ...cluster.env(), PORT: '0', ADMIN_TOKEN, LOG_LEVEL: 'info', ...env });
  try {
    const baseUrl = await app.listening(120_000); // a shared, loaded machine starts slowly
    await sleep(1500); // a few heartbeats: the standby has been seen replicating
    const load = startWriteLoad(baseUrl, { writers: WRITERS, logicId: 'bench' });
    await sleep(1000);
    if (before) await before(baseUrl, cluster);
    // A failure comes at any point of the heartbeat cycle: it lands at a random phase.
    await sleep(Math.random() * HEARTBEAT_INTERVAL_MS);
    const lostAt = Date.now();
    await lose(cluster);
    const firstAck = await load.firstAckAfter(lostAt, 60_000);
    await sleep(500);
    await load.stop();
    const rows = await cluster.replicas[0].query<{ bizId: string }[]>(
      "SELECT bizId FROM logic_ha.logic_instance WHERE logicId = 'bench'",
    );
    const present = new Set(rows.map((row) => row.bizId));
    const lines = jsonLines(app.stdout());
    const started = lines.find((line) => line.msg === 'failover started');
    const done = lines.find((line) => line.msg === 'failover done');
    const apply = lines.filter((line) => line.step === 'apply-relay-log').at(-1);
    return {
      recoveryMs: firstAck - lostAt,
      detectionMs: started ? Date.parse(started.time) - lostAt : NaN,
      failoverMs: done?.tookMs ?? NaN,
      applyRelayLogMs: apply?.durationMs ?? NaN,
      reason: String(started?.reason ?? '').slice(0, 60),
      acknowledged: load.acknowledged.length,
      lost: load.acknowledged.filter((bizId) => !present.has(bizId)).length,
      rejected503: load.failures.get(503) ?? 0,
      other: [...load.failures].filter(([status]) => status !== 503).reduce((sum, [, n]) => sum + n, 0),
    };
  } finally {
    app.child.kill('SIGTERM');
    await app.exited;
    await cluster.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}

type Before = (baseUrl: string, cluster: FailoverCluster) => Promise<void>;

function jsonLines(text: string): Record<string, any>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);
}

function summary(rounds: Round[]) {
  const recovery = rounds.map((r) => Math.round(r.recoveryMs));
  return {
    recoveryMs: recovery,
    p50Ms: percentile(recovery, 50),
    maxMs: Math.max(...recovery),
    detectionMs: rounds.map((r) => Math.round(r.detectionMs)),
    failoverMs: rounds.map((r) => r.failoverMs),
    applyRelayLogMs: rounds.map((r) => r.applyRelayLogMs),
    reasons: [...new Set(rounds.map((r) => r.reason.replace(/\d+/g, 'N')))],
    lostAcknowledgedWrites: rounds.reduce((sum, r) => sum + r.lost, 0),
    acknowledgedWrites: rounds.reduce((sum, r) => sum + r.acknowledged, 0),
    rejected503: rounds.reduce((sum, r) => sum + r.rejected503, 0),
    otherFailures: rounds.reduce((sum, r) => sum + r.other, 0),
  };
}

/** Fast path and today's behaviour, alternating round by round (the machine's load drifts). */
async function fastAgainstToday(name: string, lose: Loss, rounds: number, offset: number) {
  const fast: Round[] = [];
  const today: Round[] = [];
  for (let index = 0; index < rounds; index++) {
    const pair: [Round[], Record<string, string>][] = [
      [fast, {}],
      [today, TODAY],
    ];
    for (const [into, env] of index % 2 === 0 ? pair : pair.reverse()) {
      const result = await round(offset + index * 2 + into.length, env, lose);
      into.push(result);
      process.stderr.write(`${name} ${into === fast ? 'fast' : 'today'} ${index + 1}: ${JSON.stringify(result)}\n`);
    }
  }
  const f = summary(fast);
  const t = summary(today);
  return { fast: f, today: t, ratioP50: ratio(f.p50Ms, t.p50Ms), ratioMax: ratio(f.maxMs, t.maxMs) };
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

/**
 * A TCP front for the primary that can "die" (every connection closed, nothing listening:
 * connections refused) and "come back" on the same port, as a restarted process does.
 */
class RestartableFront {
  private server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly target: number,
  ) {
    this.server = this.listen();
  }

  static async start(target: number): Promise<RestartableFront> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const front = new RestartableFront(port, target);
    await new Promise((resolve) => front.server.once('listening', resolve));
    return front;
  }

  async die(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  async comeBack(): Promise<void> {
    this.server = this.listen();
    await new Promise((resolve) => this.server.once('listening', resolve));
  }

  async stop(): Promise<void> {
    await this.die().catch(() => undefined);
  }

  private listen(): Server {
    const server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: this.target });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    server.listen(this.port, '127.0.0.1');
    return server;
  }
}

/** Rounds on one pair and one logic-ha; each `disturb`s the primary, then checks that no failover happened. */
async function noFailoverRounds(
  name: string,
  rounds: number,
  serverIdBase: number,
  disturb: (cluster: FailoverCluster, front: RestartableFront | null) => Promise<Record<string, number>>,
  viaFront: boolean,
) {
  const cluster = await startFailoverCluster({ replicas: 1, serverIdBase });
  const front = viaFront ? await RestartableFront.start(cluster.primary.port) : null;
  if (front) {
    await cluster.replicas[0].query('STOP SLAVE; CHANGE MASTER TO MASTER_PORT = ?; START SLAVE', [front.port]);
  }
  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-bench-failover-'));
  const app = spawnApp(cwd, {
    ...cluster.env({ primaryPort: front?.port }),
    PORT: '0',
    ADMIN_TOKEN,
    LOG_LEVEL: 'info',
  });
  const results: Record<string, number>[] = [];
  let failovers = 0;
  try {
    const baseUrl = await app.listening(120_000); // a shared, loaded machine starts slowly
    const admin = adminHttp(() => baseUrl, ADMIN_TOKEN);
    const replicating = (s: Record<string, any>) => s.servers?.[1]?.replication?.ioThread === 'Yes';
    await admin.poll('/api/v1/failover/status', replicating, 30_000);
    for (let index = 0; index < rounds; index++) {
      await sleep(Math.random() * HEARTBEAT_INTERVAL_MS);
      const measured = await disturb(cluster, front);
      // Past the full window, and the standby back to streaming, before the next round.
      await sleep(4000);
      const status = (await admin.api('GET', '/api/v1/failover/status')).body;
      if (status.epoch !== 0) failovers++;
      results.push({ ...measured, epoch: status.epoch });
      process.stderr.write(`${name} ${index + 1}: ${JSON.stringify(results.at(-1))}\n`);
      if (status.epoch !== 0) break; // a failover changed the world; the next rounds would mean nothing
      await admin.poll('/api/v1/failover/status', replicating, 30_000);
    }
    const cancelled = jsonLines(app.stdout()).filter((line) =>
      String(line.msg).includes('answered within the fast window'),
    ).length;
    return { rounds: results.length, failovers, fastPathCancelled: cancelled, results };
  } finally {
    app.child.kill('SIGTERM');
    await app.exited;
    await front?.stop();
    await cluster.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}

async function switchover(baseUrl: string, target: number): Promise<void> {
  const admin = adminHttp(() => baseUrl, ADMIN_TOKEN);
  const response = await admin.api('POST', '/api/v1/failover/switchover', { target: `127.0.0.1:${target}` });
  if (response.body.outcome !== 'succeeded') throw new Error(`switchover failed: ${JSON.stringify(response.body)}`);
}

async function main(): Promise<void> {
  execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'build-if-stale.js')], { stdio: 'inherit' });
  const baselineMs = Math.round(await manualPromotionMs());
  const common = { bench: 'failover', writers: WRITERS, settings: 'defaults (1000 ms, 3 misses, fast 1000 ms)' };
  let killFastP50: number | null = null;
  if (SCENARIOS.includes('kill-9')) {
    const result = await fastAgainstToday('kill-9', (c) => c.primary.kill(), ROUNDS, 0);
    killFastP50 = result.fast.p50Ms;
    console.log(
      JSON.stringify({
        ...common,
        scenario: 'kill-9',
        rounds: ROUNDS,
        ...result,
        targets: { p50Ms: 1500, maxMs: 2500 },
        ratioP50ToTarget: ratio(result.fast.p50Ms, 1500),
        ratioMaxToTarget: ratio(result.fast.maxMs, 2500),
        baselineManualPromotionMs: baselineMs,
        machine: machine(),
      }),
    );
  }
  if (SCENARIOS.includes('sigstop')) {
    const rounds = Math.max(2, Math.ceil(ROUNDS / 2));
    const result = await fastAgainstToday('sigstop', async (c) => c.primary.pause(), rounds, 100);
    console.log(JSON.stringify({ ...common, scenario: 'sigstop', rounds, ...result, machine: machine() }));
  }
  if (SCENARIOS.includes('sigstop-short')) {
    const result = await noFailoverRounds(
      'sigstop-short',
      ROUNDS,
      400,
      async (c) => {
        c.primary.pause();
        await sleep(1500);
        c.primary.resume();
        return { stoppedMs: 1500 };
      },
      false,
    );
    console.log(JSON.stringify({ ...common, scenario: 'sigstop-short', ...result, machine: machine() }));
  }
  if (SCENARIOS.includes('restart')) {
    for (const downMs of [500, 800]) {
      const result = await noFailoverRounds(
        `restart-${downMs}`,
        ROUNDS,
        410 + downMs / 100,
        async (_c, front) => {
          await front!.die();
          await sleep(downMs);
          await front!.comeBack();
          return { downMs };
        },
        true,
      );
      console.log(
        JSON.stringify({
          ...common,
          scenario: `restart-within-${downMs}-ms (TCP front)`,
          ...result,
          machine: machine(),
        }),
      );
    }
    const real = await noFailoverRounds(
      'restart-mariadbd',
      Math.min(ROUNDS, 3),
      440,
      async (c) => {
        const killed = Date.now();
        await c.primary.kill();
        await c.primary.restart();
        return { mariadbdBackAfterMs: Date.now() - killed };
      },
      false,
    );
    console.log(
      JSON.stringify({ ...common, scenario: 'restart-mariadbd (kill -9 + restart)', ...real, machine: machine() }),
    );
  }
  if (SCENARIOS.includes('switch-back-kill')) {
    const rounds: Round[] = [];
    for (let index = 0; index < ROUNDS; index++) {
      const result = await round(
        500 + index,
        {},
        (c) => c.primary.kill(),
        async (baseUrl, c) => {
          await switchover(baseUrl, c.replicas[0].port);
          await sleep(3000);
          await switchover(baseUrl, c.primary.port);
          await sleep(1000);
        },
      );
      rounds.push(result);
      process.stderr.write(`switch-back-kill ${index + 1}: ${JSON.stringify(result)}\n`);
    }
    const s = summary(rounds);
    console.log(
      JSON.stringify({
        ...common,
        scenario: 'switchover + switch back + kill-9',
        rounds: ROUNDS,
        ...s,
        ratioP50ToFirstFailover: killFastP50 ? ratio(s.p50Ms, killFastP50) : null,
        machine: machine(),
      }),
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
