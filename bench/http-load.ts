import { Agent, request } from 'node:http';

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
}

/**
 * Sends `total` GETs to one URL over `concurrency` keep-alive connections and measures
 * throughput. Bounded in count and time; loopback only.
 */
export async function measureGet(url: string, total: number, concurrency: number): Promise<LoadResult> {
  const target = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname))
    throw new Error('benchmarks only target loopback');
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let sent = 0;
  const worker = async () => {
    while (sent < total) {
      sent++;
      await getOnce(target, agent);
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  return { requests: total, seconds, requestsPerSecond: total / seconds };
}

function getOnce(url: URL, agent: Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
