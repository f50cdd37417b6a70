/** A ~2 KB logic config, as a runtime would read it. */
export const BENCH_CONFIG = {
  name: 'Order approval',
  version: '12',
  module: 'orders',
  nodes: Array.from({ length: 12 }, (_, i) => ({
    id: `node-${i}`,
    type: i === 0 ? 'start' : i === 11 ? 'end' : 'script',
    name: `Step ${i}`,
    next: i < 11 ? [`node-${i + 1}`] : [],
    script: `vars.total = (vars.total || 0) + ${i}; return vars;`,
  })),
};

/** What logic-ha answers for it from cache; the baselines answer the same object. */
export const BENCH_CONFIG_ANSWER = {
  logicId: 'order-approval',
  version: '12',
  source: 'cache',
  stale: false,
  fetchedAt: '2026-11-27T00:00:00.000Z',
  config: { ...BENCH_CONFIG, id: 'order-approval' },
};
