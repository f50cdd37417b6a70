/**
 * Writers that start instances through logic-ha's HTTP API as fast as answers come back,
 * the way runtimes would during a failover: a 503 is retried after a short pause. Every
 * write the API acknowledged (2xx) is remembered so a test can look for it afterwards.
 */
export interface WriteLoad {
  acknowledged: string[];
  /** Time (Date.now()) of every acknowledged write, in order, with when its request was sent. */
  acknowledgedAt: number[];
  sentAt: number[];
  failures: Map<number, number>;
  stop(): Promise<void>;
  /**
   * When the first write whose request was sent at or after `since` was acknowledged,
   * waiting up to `timeoutMs`. A request in flight at `since` does not count: its answer
   * may say nothing about the server after that moment.
   */
  firstAckAfter(since: number, timeoutMs?: number): Promise<number>;
}

const RETRY_PAUSE_MS = 50;

export function startWriteLoad(
  baseUrl: string,
  options: { writers: number; logicId: string; prefix?: string },
): WriteLoad {
  const acknowledged: string[] = [];
  const acknowledgedAt: number[] = [];
  const sentAt: number[] = [];
  const failures = new Map<number, number>();
  let running = true;
  let sequence = 0;
  const writer = async (index: number) => {
    while (running) {
      const bizId = `${options.prefix ?? 'w'}${index}-${sequence++}`;
      const sent = Date.now();
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
          sentAt.push(sent);
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
    sentAt,
    failures,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
    firstAckAfter: async (since, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = sentAt.findIndex((at) => at >= since);
        if (index >= 0) return acknowledgedAt[index];
        if (Date.now() > deadline)
          throw new Error(
            `no write acknowledged within ${timeoutMs} ms after the cut; failures ${JSON.stringify([...failures])}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}
