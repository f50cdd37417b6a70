import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnApp } from '../test/support/app-process';
import { ClusterWorld } from '../test/support/cluster-world';
import { startWriteLoad } from '../test/support/instance-writer';
import { type MariaDbServer, startFailoverCluster } from '../test/support/mariadb';

/**
 * Cluster mode's recovery when a host dies, as clients see it (issue 16). Per round: a
 * fresh private 3-member etcd, a semi-sync MariaDB primary + standby and three logic-ha
 * nodes with the default lease (CLUSTER_LEASE_TTL_MS=10000) and failover settings; four
 * writers go through node-b. SIGKILL the leader node (node-a) and the primary together,
 * then measure the time to the first write node-b acknowledges, and the acknowledged
 * writes missing on the promoted server.
 *
 * Same run, as the baseline: the single-node numbers (one node, kill -9 of the primary
 * only), which the cluster adds the leader's lease expiry to.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WRITERS = 4;
const LEASE_TTL_MS = Number(process.env.BENCH_LEASE_TTL_MS ?? 10_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

interface Round {
  recoveryMs: number;
  acknowledged: number;
  lost: number;
}

/** Runs the writers against `baseUrl`, kills, and counts what came back and what was lost on `promoted`. */
async function measure(baseUrl: string, kill: () => Promise<unknown>, promoted: MariaDbServer): Promise<Round> {
  const load = startWriteLoad(baseUrl, { writers: WRITERS, logicId: 'bench' });
  await sleep(1000 + Math.random() * 1000);
  const killedAt = Date.now();
  await kill();
  const firstAck = await load.firstAckAfter(killedAt, LEASE_TTL_MS * 3 + 30_000);
  await sleep(500);
  await load.stop();
  const rows = await promoted.query<{ bizId: string }[]>(
    "SELECT bizId FROM logic_ha.logic_instance WHERE logicId = 'bench'",
  );
  const present = new Set(rows.map((row) => row.bizId));
  return {
    recoveryMs: firstAck - killedAt,
    acknowledged: load.acknowledged.length,
    lost: load.acknowledged.filter((bizId) => !present.has(bizId)).length,
  };
}

async function clusterRound(index: number): Promise<Round> {
  const world = await ClusterWorld.start({
    serverIdBase: 500 + index * 10,
    leaseTtlMs: LEASE_TTL_MS,
    env: { HEARTBEAT_INTERVAL_MS: '1000' },
  });
  try {
    const [a, b] = world.nodes;
    await sleep(1500);
    return await measure(b.url, () => Promise.all([a.kill(), world.db.primary.kill()]), world.db.replicas[0]);
  } finally {
    await world.stop();
  }
}

async function singleNodeRound(index: number): Promise<Round> {
  const db = await startFailoverCluster({ replicas: 1, serverIdBase: 600 + index * 10 });
  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-bench-cluster-'));
  const app = spawnApp(cwd, { ...db.env(), PORT: '0', ADMIN_TOKEN: 'bench-admin-token-0123456789', LOG_LEVEL: 'info' });
  try {
    const baseUrl = await app.listening();
    await sleep(1500);
    return await measure(baseUrl, () => db.primary.kill(), db.replicas[0]);
  } finally {
    app.child.kill('SIGTERM');
    await app.exited;
    await db.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}

function summary(rounds: Round[]) {
  const recovery = rounds.map((r) => r.recoveryMs);
  return {
    recoveryMs: recovery,
    p50Ms: percentile(recovery, 50),
    maxMs: Math.max(...recovery),
    acknowledgedWrites: rounds.reduce((sum, r) => sum + r.acknowledged, 0),
    lostAcknowledgedWrites: rounds.reduce((sum, r) => sum + r.lost, 0),
  };
}

async function main(): Promise<void> {
  execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'build-if-stale.js')], { stdio: 'inherit' });
  const cluster: Round[] = [];
  const single: Round[] = [];
  for (let index = 0; index < ROUNDS; index++) {
    cluster.push(await clusterRound(index));
    single.push(await singleNodeRound(index));
    process.stderr.write(
      `round ${index + 1}: cluster ${JSON.stringify(cluster[index])} single ${JSON.stringify(single[index])}\n`,
    );
  }
  const hostLoss = summary(cluster);
  const singleNode = summary(single);
  console.log(
    JSON.stringify({
      bench: 'cluster',
      rounds: ROUNDS,
      writers: WRITERS,
      leaseTtlMs: LEASE_TTL_MS,
      hostLoss,
      singleNodePrimaryLoss: singleNode,
      targetP50Ms: LEASE_TTL_MS + 3000,
      ratioP50ToTarget: Math.round((hostLoss.p50Ms / (LEASE_TTL_MS + 3000)) * 100) / 100,
      ratioP50ToSingleNode: Math.round((hostLoss.p50Ms / singleNode.p50Ms) * 100) / 100,
      machine: { cpus: cpus().length, loadavg: loadavg().map((n) => Math.round(n * 100) / 100) },
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
