import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
 */
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const TOKEN = 'bench-admin-token-0123456789';
const TS_NODE = ['-r', 'ts-node/register/transpile-only'];

interface Started {
  url: string;
  child: ChildProcess;
}

async function startProcess(script: string, env: Record<string, string>): Promise<Started> {
  const port = await freeLoopbackPort();
  const child = spawn(process.execPath, [...TS_NODE, script], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  // Ready when it answers anything at all.
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    try {
      await fetch(`${url}/health/live`);
      return { url, child };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`${script} did not start`);
}

async function load(url: string, connections = CONNECTIONS) {
  await autocannon({ url, connections, duration: 2 }); // warm-up
  const result = await autocannon({ url, connections, duration: DURATION_S });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { requestsPerSecond: Math.round(result.requests.average), p99Ms: result.latency.p99 };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'logic-ha-bench-configs-'));
  const hostDownDir = mkdtempSync(join(tmpdir(), 'logic-ha-bench-hostdown-'));
  const children: ChildProcess[] = [];
  try {
    // Request logs off in every server: the comparison is about serving, not logging.
    const common = {
      ADMIN_TOKEN: TOKEN,
      LOG_LEVEL: 'warn',
      INSTANCE_LONG_RUNNING_CRON: 'off',
      INSTANCE_RETRY_CRON: 'off',
      INSTANCE_CLEANUP_CRON: 'off',
    };
    const logicHa = await startProcess('src/main.ts', { ...common, DATA_DIR: dataDir });
    children.push(logicHa.child);
    await fetch(`${logicHa.url}/api/v1/configs/order-approval/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: '12', config: BENCH_CONFIG }),
    });
    const path = '/api/v1/configs/order-approval';
    const answer = await (await fetch(`${logicHa.url}${path}`)).text();

    const bare = await startProcess('bench/servers/bare-nest.server.ts', {});
    const plain = await startProcess('bench/servers/plain-http.server.ts', {});
    children.push(bare.child, plain.child);

    const cached = await load(`${logicHa.url}${path}`);
    const bareNest = await load(`${bare.url}${path}`);
    const plainHttp = await load(`${plain.url}${path}`);

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
    const down = await load(`${hostDown.url}${path}`, 1);
    const downAnswer = (await (await fetch(`${hostDown.url}${path}`)).json()) as { source: string; stale: boolean };

    console.log(
      JSON.stringify({
        bench: 'config-store',
        answerBytes: answer.length,
        connections: CONNECTIONS,
        durationSeconds: DURATION_S,
        cached,
        bareNestRoute: bareNest,
        plainNodeHttp: plainHttp,
        ratioToBareNest: Number((cached.requestsPerSecond / bareNest.requestsPerSecond).toFixed(3)),
        ratioToPlainHttp: Number((cached.requestsPerSecond / plainHttp.requestsPerSecond).toFixed(3)),
        hostDownBreakerOpen: { ...down, answeredFrom: downAnswer.source, stale: downAnswer.stale },
      }),
    );
  } finally {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(hostDownDir, { recursive: true, force: true });
  }
}

void main();
