/**
 * One scrape serialises every metric at once, and several gauges often read the same source
 * (one catalog query, one status object). This shares one read among the gauges of a scrape:
 * prom-client calls every collect() in one synchronous loop, so a read is kept until the
 * current task ends (a microtask later) and no longer: the next scrape reads afresh.
 */
export function perScrape<T>(read: () => T): () => T {
  let current: { value: T } | undefined;
  return () => {
    if (current) return current.value;
    current = { value: read() };
    queueMicrotask(() => (current = undefined));
    return current.value;
  };
}

/** Seconds from `then` to `now`, or undefined when there is no `then`. */
export function secondsSince(then: Date | string | null | undefined, now: Date): number | undefined {
  if (then === null || then === undefined) return undefined;
  const at = typeof then === 'string' ? Date.parse(then) : then.getTime();
  return Number.isNaN(at) ? undefined : (now.getTime() - at) / 1000;
}
