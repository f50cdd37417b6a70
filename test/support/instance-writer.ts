/**
 * Writers that start instances through logic-ha's HTTP API as fast as answers come back,
 * the way runtimes would during a failover: a 503 is retried after a short pause. Every
 * write the API acknowledged (2xx) is remembered so a test can look for it afterwards.
 */
export interface WriteLoad {
  acknowledged: string[];
  /** Time (Date.now()) of every acknowledged write, in order. */
  acknowledgedAt: number[];
  failures: Map<number, number>;
  stop(): Promise<void>;
  /** The first acknowledgement at or after `since`, waiting up to `timeoutMs`. */
  firstAckAfter(since: number, timeoutMs?: number): Promise<number>;
}

const RETRY_PAUSE_MS = 50;

export function startWriteLoad(baseUrl: string, options: { writers: number; logicId: string; prefix?: string }): WriteLoad {
  const acknowledged: string[] = [];
  const acknowledgedAt: number[] = [];
  const failures = new Map<number, number>();
  let running = true;
  let sequence = 0;
  const writer = async (index: number) => {
    while (running) {
      const bizId = `${options.prefix ?? 'w'}${index}-${sequence++}`;
      try {
        const response = await fetch(`${baseUrl}/api/v1/instances/start`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ logicId: options.logicId, bizId }),
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        if (response.status >= 200 && response.status < 300) {
          acknowledged.push(bizId);
          acknowledgedAt.push(Date.now());
          continue;
        }
        failures.set(response.status, (failures.get(response.status) ?? 0) + 1);
      } catch {
        failures.set(0, (failures.get(0) ?? 0) + 1);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    }
  };
  const loops = Array.from({ length: options.writers }, (_, index) => writer(index));
  return {
    acknowledged,
    acknowledgedAt,
    failures,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
    firstAckAfter: async (since, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = acknowledgedAt.find((at) => at >= since);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`no write acknowledged within ${timeoutMs} ms after the cut; failures ${JSON.stringify([...failures])}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}
