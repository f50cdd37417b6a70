/** p50 / p99 of a list of durations in milliseconds, rounded to 0.01 ms. */
export function percentiles(samples: number[]): { p50Ms: number; p99Ms: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return { p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), n: sorted.length };
}

export async function timeEach(iterations: number, run: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = process.hrtime.bigint();
    await run(i);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return samples;
}

/** Runs `total` tasks over `concurrency` workers; returns tasks per second. */
export async function throughput(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
  return total / (Number(process.hrtime.bigint() - started) / 1e9);
}
