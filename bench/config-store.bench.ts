import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freeLoopbackPort } from '../test/support/mariadb/free-port';
import { BENCH_CONFIG } from './servers/bench-config';

/**
 * A cached `GET /api/v1/configs/:id` on logic-ha against (a) a bare Nest route on the same
 * adapter returning the same JSON and (b) node:http serving it; then the latency of a read
 * while the host is down and the breaker is open (served from the file). Every server is
 * its own process; autocannon runs here.
 *
 * logic-ha runs twice: with request logs off (LOG_LEVEL=warn, stdout discarded) and at the
 * default log settings (LOG_LEVEL=info, LOG_REQUESTS=all), its stdout a pipe that this
 * process reads, as a log collector would. The baselines log nothing.
 */
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const TOKEN = 'bench-admin-token-0123456789';
const TS_NODE = ['-r', 'ts-node/register/transpile-only'];

interface Started {
  url: string;
  child: ChildProcess;
  /** Lines read from its stdout, when it is read (`readStdout`). */
  stdoutLines: () => number;
}

async function startProcess(script: string, env: Record<string, string>, readStdout = false): Promise<Started> {
  const port = await freeLoopbackPort();
  const child = spawn(process.execPath, [...TS_NODE, script], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', readStdout ? 'pipe' : 'ignore', 'inherit'],
  });
  let lines = 0;
  // Read and dropped, counting newlines: what a log collector's pipe costs, without storing it.
  child.stdout?.on('data', (chunk: Buffer) => {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  });
  const stdoutLines = () => lines;
  const url = `http://127.0.0.1:${port}`;
  // Ready when it answers anything at all (ts-node compiles src first: up to 2 min on a busy machine).
  for (let attempt = 0; attempt < 1200; attempt++) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    try {
      await fetch(`${url}/health/live`);
      return { url, child, stdoutLines };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`${script} did not start`);
}

/** CPU seconds (user + system, every thread: libuv's pool writes the async logs) the process has used. */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after "pid (comm) ", in clock ticks (100 Hz).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Throughput and p99 of `url`, and the server's CPU per request: the number that moves least
 * when other work shares the machine (throughput depends on how much of a core the server gets).
 */
async function load(url: string, server: ChildProcess, connections = CONNECTIONS) {
  const warmUp = await autocannon({ url, connections, duration: 2 });
  const cpuBefore = cpuSecondsOf(server.pid!);
  const result = await autocannon({ url, connections, duration: DURATION_S });
  const cpuSeconds = cpuSecondsOf(server.pid!) - cpuBefore;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p99Ms: result.latency.p99,
    serverCpuUsPerRequest: Number(((cpuSeconds * 1e6) / result.requests.total).toFixed(1)),
    requests: warmUp.requests.total + result.requests.total,
  };
}

function cpuRatio(baseline: { serverCpuUsPerRequest: number }, server: { serverCpuUsPerRequest: number }): number {
  return Number((baseline.serverCpuUsPerRequest / server.serverCpuUsPerRequest).toFixed(3));
}

/** Waits until the reader's line count has stopped growing for half a second. */
async function settledLines(server: Started): Promise<number> {
  let last = -1;
  while (server.stdoutLines() !== last) {
    last = server.stdoutLines();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return last;
}

async function publish(url: string): Promise<void> {
  await fetch(`${url}/api/v1/configs/order-approval/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ version: '12', config: BENCH_CONFIG }),
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'logic-ha-bench-configs-'));
  const hostDownDir = mkdtempSync(join(tmpdir(), 'logic-ha-bench-hostdown-'));
  const defaultLogsDir = mkdtempSync(join(tmpdir(), 'logic-ha-bench-default-logs-'));
  const children: ChildProcess[] = [];
  try {
    // Request logs off (LOG_LEVEL=warn) in the first logic-ha and the host-down one; the
    // second logic-ha runs at the default log settings.
    const common = {
      ADMIN_TOKEN: TOKEN,
      LOG_LEVEL: 'warn',
      INSTANCE_LONG_RUNNING_CRON: 'off',
      INSTANCE_RETRY_CRON: 'off',
      INSTANCE_CLEANUP_CRON: 'off',
    };
    const logicHa = await startProcess('src/main.ts', { ...common, DATA_DIR: dataDir });
    children.push(logicHa.child);
    await publish(logicHa.url);
    const path = '/api/v1/configs/order-approval';
    const answer = await (await fetch(`${logicHa.url}${path}`)).text();

    // Default log settings: neither LOG_LEVEL nor LOG_REQUESTS set.
    const { LOG_LEVEL: _warn, ...defaultLogs } = common;
    const logicHaDefaultLogs = await startProcess('src/main.ts', { ...defaultLogs, DATA_DIR: defaultLogsDir }, true);
    children.push(logicHaDefaultLogs.child);
    await publish(logicHaDefaultLogs.url);

    const bare = await startProcess('bench/servers/bare-nest.server.ts', {});
    const plain = await startProcess('bench/servers/plain-http.server.ts', {});
    children.push(bare.child, plain.child);

    const cached = await load(`${logicHa.url}${path}`, logicHa.child);
    const linesBefore = await settledLines(logicHaDefaultLogs);
    const cachedDefaultLogs = await load(`${logicHaDefaultLogs.url}${path}`, logicHaDefaultLogs.child);
    // Every request, warm-up included, writes one access line: a check that none is lost or doubled.
    const accessLines = (await settledLines(logicHaDefaultLogs)) - linesBefore;
    const bareNest = await load(`${bare.url}${path}`, bare.child);
    const plainHttp = await load(`${plain.url}${path}`, plain.child);

    // Host down: a second node whose host is a closed port; its file holds the config.
    const deadHost = `http://127.0.0.1:${await freeLoopbackPort()}`;
    const hostDown = await startProcess('src/main.ts', {
      ...common,
      DATA_DIR: hostDownDir,
      CONFIG_HOST_URL: deadHost,
      CONFIG_HOST_BREAKER_FAILURES: '1',
      CONFIG_HOST_BREAKER_HALF_OPEN_MS: '600000',
    });
    children.push(hostDown.child);
    await fetch(`${hostDown.url}/api/v1/configs/order-approval/file`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: '12', config: BENCH_CONFIG }),
    });
    await fetch(`${hostDown.url}${path}`); // fails once: the breaker opens
    // Latency of one read at a time (p99 under saturation would measure queueing instead).
    const down = await load(`${hostDown.url}${path}`, hostDown.child, 1);
    const downAnswer = (await (await fetch(`${hostDown.url}${path}`)).json()) as { source: string; stale: boolean };

    console.log(
      JSON.stringify({
        bench: 'config-store',
        answerBytes: answer.length,
        connections: CONNECTIONS,
        durationSeconds: DURATION_S,
        cached,
        cachedDefaultLogs: { ...cachedDefaultLogs, stdoutLinesDuringLoad: accessLines },
        bareNestRoute: bareNest,
        plainNodeHttp: plainHttp,
        ratioToBareNest: Number((cached.requestsPerSecond / bareNest.requestsPerSecond).toFixed(3)),
        ratioToPlainHttp: Number((cached.requestsPerSecond / plainHttp.requestsPerSecond).toFixed(3)),
        defaultLogsRatioToBareNest: Number(
          (cachedDefaultLogs.requestsPerSecond / bareNest.requestsPerSecond).toFixed(3),
        ),
        defaultLogsRatioToPlainHttp: Number(
          (cachedDefaultLogs.requestsPerSecond / plainHttp.requestsPerSecond).toFixed(3),
        ),
        // Baseline CPU per request over logic-ha's: the throughput ratio when each server has a core of its own.
        cpuRatios: {
          logsOffToBareNest: cpuRatio(bareNest, cached),
          logsOffToPlainHttp: cpuRatio(plainHttp, cached),
          defaultLogsToBareNest: cpuRatio(bareNest, cachedDefaultLogs),
          defaultLogsToPlainHttp: cpuRatio(plainHttp, cachedDefaultLogs),
        },
        hostDownBreakerOpen: { ...down, answeredFrom: downAnswer.source, stale: downAnswer.stale },
      }),
    );
  } finally {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(hostDownDir, { recursive: true, force: true });
    rmSync(defaultLogsDir, { recursive: true, force: true });
  }
}

void main();
