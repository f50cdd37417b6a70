import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { createApp } from '../src/app.factory';
import { loadAppConfig } from '../src/config/app-config.factory';
import { measureGet } from './http-load';

/**
 * What the whole logic-ha pipeline (Nest routing, global guard, validation pipe, request
 * ids, JSON request logs) costs on its cheapest route, against a bare Fastify route
 * answering the same body, in the same process and run.
 */
const TOTAL = Number(process.env.BENCH_REQUESTS ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const WARMUP = 2_000;

async function main(): Promise<void> {
  const bare = Fastify({ logger: false });
  bare.get('/health/live', async () => ({ status: 'ok' }));
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-bench-'));
  const config = loadAppConfig({ PORT: '0', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' }, cwd);
  // Request logs go to /dev/null-like sink: the cost of producing them is measured, not the terminal's.
  const { createRootLogger } = await import('../src/common/logging/root-logger');
  const rootLogger = createRootLogger(config.log.level, { write: () => undefined });
  const app = await createApp(config, { rootLogger });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const appUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');

  try {
    await measureGet(`${bareUrl}/health/live`, WARMUP, CONCURRENCY);
    await measureGet(`${appUrl}/health/live`, WARMUP, CONCURRENCY);
    const baseline = await measureGet(`${bareUrl}/health/live`, TOTAL, CONCURRENCY);
    const candidate = await measureGet(`${appUrl}/health/live`, TOTAL, CONCURRENCY);
    console.log(
      JSON.stringify({
        bench: 'health-live-overhead',
        requests: TOTAL,
        concurrency: CONCURRENCY,
        logLevel: config.log.level,
        baselineRps: Math.round(baseline.requestsPerSecond),
        logicHaRps: Math.round(candidate.requestsPerSecond),
        ratio: Number((candidate.requestsPerSecond / baseline.requestsPerSecond).toFixed(3)),
      }),
    );
  } finally {
    await app.close();
    await bare.close();
    rmSync(cwd, { recursive: true, force: true });
  }
}

void main();
