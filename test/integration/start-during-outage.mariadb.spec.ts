import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TopologyState } from '../../src/database/topology/topology-state';
import { adminHttp } from '../support/app-http';
import { type AppProcess, spawnApp } from '../support/app-process';
import { bizIdsOn, serverKey } from '../support/failover-app';
import { type FailoverCluster, type MariaDbServer, startFailoverCluster } from '../support/mariadb';

const ADMIN_TOKEN = 'outage-admin-token-0123456789';
const LOGIC_ID = 'start-during-outage';

/**
 * Issue 16, item 7: a node that starts while its primary is down (killed or hung) must
 * start anyway, answer 503 + Retry-After where it needs the database, run its failover
 * monitor, promote the standby and migrate there; a node with nothing to fail over to
 * connects and migrates when its database comes back; a schema refusal stays fatal.
 * Every node is the built service in its own process, killed with SIGKILL as in a crash.
 */
describe('starting while the database primary is down (real processes)', () => {
  let cwd: string;
  const nodes: AppProcess[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'logic-ha-outage-'));
  });
  afterEach(async () => {
    for (const node of nodes.splice(0)) if (node.child.exitCode === null) node.child.kill('SIGKILL');
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    rmSync(cwd, { recursive: true, force: true });
  });

  function startNode(env: Record<string, string>): AppProcess {
    const node = spawnApp(cwd, { ADMIN_TOKEN, LOG_LEVEL: 'info', PORT: '0', ...env });
    nodes.push(node);
    return node;
  }

  async function useCluster(serverIdBase: number, replicas: number): Promise<FailoverCluster> {
    const cluster = await startFailoverCluster({ replicas, serverIdBase });
    cleanups.push(() => cluster.stop());
    return cluster;
  }

  it.each([
    ['killed (kill -9)', 70, (server: MariaDbServer) => server.kill()],
    ['hung (SIGSTOP)', 72, async (server: MariaDbServer) => server.pause()],
  ])(
    'primary %s, the node killed 1 s later and restarted: it starts, promotes the standby and takes writes',
    async (failure, serverIdBase, fail) => {
      const cluster = await useCluster(serverIdBase, 1);
      cleanups.push(() => cluster.primary.resume());
      const env = cluster.env();
      const first = startNode(env);
      const firstUrl = await first.listening();
      await adminHttp(() => firstUrl, ADMIN_TOKEN).poll(
        '/api/v1/failover/status',
        (s) => s.servers?.[1]?.replication?.ioThread === 'Yes',
      );
      expect(await write(firstUrl, 'before')).toMatchObject({ status: 200 });

      await fail(cluster.primary);
      await sleep(1000);
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');

      const restartedAt = Date.now();
      const second = startNode(env);
      const url = await second.listening(30_000);
      const listeningAfterMs = Date.now() - restartedAt;
      // Serves what does not need the database; 503 + Retry-After on the rest, not ready meanwhile.
      const [live, ready, refused] = await Promise.all([
        fetch(`${url}/health/live`),
        fetch(`${url}/health/ready`),
        write(url, 'during-outage'),
      ]);
      expect(live.status).toBe(200);
      expect(ready.status).toBe(503);
      expect(refused).toMatchObject({ status: 503, retryAfter: '1', code: 'DATABASE_UNAVAILABLE' });

      const newPrimary = serverKey(cluster.replicas[0].port);
      const admin = adminHttp(() => url, ADMIN_TOKEN);
      await admin.poll('/api/v1/failover/status', (s) => s.epoch === 1 && s.primary === newPrimary, 60_000);
      const promotedAfterMs = Date.now() - restartedAt;
      const firstWriteAfterMs = await retryUntilWritten(url, 'after-restart', restartedAt);

      const status = await admin.poll('/api/v1/failover/status', (s) => s.switching === false, 10_000);
      expect(status.lastChange).toMatchObject({ kind: 'failover', outcome: 'succeeded', newPrimary, epoch: 1 });
      expect(topologyIn(cwd)).toMatchObject({ epoch: 1, primary: newPrimary });
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
      const written = await bizIdsOn(cluster.replicas[0], LOGIC_ID);
      expect(written.has('before')).toBe(true);
      expect(written.has('after-restart')).toBe(true);
      await second.logged(/the database primary cannot be reached at start/);
      await second.logged(/connected and migrated/);
      console.log(
        `primary ${failure}: node listening ${listeningAfterMs} ms after its restart, standby promoted after ${promotedAfterMs} ms, first write acknowledged after ${firstWriteAfterMs} ms`,
      );

      second.child.kill('SIGTERM');
      expect(await second.exited).toEqual({ code: 0, signal: null });
    },
    180_000,
  );

  it.each([
    ['no monitor (no DB_ADMIN_USER)', 74, false],
    ['a monitor and no standby', 76, true],
  ])(
    'the only database down at start, with %s: the node starts, then connects and migrates when it is back',
    async (setup, serverIdBase, withMonitor) => {
      const cluster = await useCluster(serverIdBase, 0);
      const env = onlyPrimary(cluster.env(), withMonitor);
      await cluster.primary.kill();

      const node = startNode(env);
      const url = await node.listening(30_000);
      expect((await fetch(`${url}/health/live`)).status).toBe(200);
      expect((await fetch(`${url}/health/ready`)).status).toBe(503);
      expect(await write(url, 'while-down')).toMatchObject({ status: 503, retryAfter: '1' });
      await sleep(2500);
      expect(await write(url, 'still-down')).toMatchObject({ status: 503 });

      await cluster.primary.restart();
      const backAt = Date.now();
      const writtenAfterMs = await retryUntilWritten(url, 'after-return', backAt);
      const migrations = await cluster.primary.query<{ n: number }[]>(
        'SELECT COUNT(*) AS n FROM logic_ha.logic_ha_migrations',
      );
      expect(Number(migrations[0].n)).toBeGreaterThan(0);
      expect((await bizIdsOn(cluster.primary, LOGIC_ID)).has('after-return')).toBe(true);
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
      await node.logged(/connected and migrated/);
      console.log(
        `only database, ${setup}: first write acknowledged ${writtenAfterMs} ms after the database accepted connections again`,
      );
    },
    120_000,
  );

  it('a schema refusal when the database comes back keeps the pool closed (503, not ready) and is not retried', async () => {
    const cluster = await useCluster(78, 0);
    await cluster.primary.query('CREATE TABLE logic_ha.logic (id INT PRIMARY KEY)');
    await cluster.primary.kill();
    const node = startNode(onlyPrimary(cluster.env(), false));
    const url = await node.listening(30_000);
    await cluster.primary.restart();
    await waitFor(() => /was refused at its first connection/.test(node.stdout()), 20_000);
    await sleep(4500);
    expect(node.child.exitCode).toBeNull();
    expect(await write(url, 'refused')).toMatchObject({ status: 503 });
    expect((await fetch(`${url}/health/ready`)).status).toBe(503);
    expect(node.stdout().match(/was refused at its first connection/g)).toHaveLength(1);
    expect(node.stdout()).toMatch(/not baselined|no migration history/i);
  }, 90_000);

  it('a schema refusal at start, with the database up, is still fatal: exit 1', async () => {
    const cluster = await useCluster(79, 0);
    await cluster.primary.query('CREATE TABLE logic_ha.logic (id INT PRIMARY KEY)');
    const node = startNode(onlyPrimary(cluster.env(), false));
    expect((await node.exited).code).toBe(1);
    expect(node.stdout()).toMatch(/logic-ha failed to start/);
    expect(node.stdout()).not.toMatch(/cannot be reached at start/);
  }, 60_000);
});

/** The cluster's environment for a node on its primary alone, with or without the monitor's account. */
function onlyPrimary(env: Record<string, string>, withMonitor: boolean): Record<string, string> {
  const { DB_STANDBY_URLS: _standbys, DB_ADMIN_USER, DB_ADMIN_PASSWORD, ...rest } = env;
  return withMonitor ? { ...rest, DB_ADMIN_USER, DB_ADMIN_PASSWORD } : rest;
}

async function write(
  url: string,
  bizId: string,
): Promise<{ status: number; retryAfter: string | null; code: string | undefined }> {
  const response = await fetch(`${url}/api/v1/instances/start`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ logicId: LOGIC_ID, bizId }),
  });
  const body = (await response.json().catch(() => ({}))) as { code?: string };
  return { status: response.status, retryAfter: response.headers.get('retry-after'), code: body.code };
}

/** Writes until one is acknowledged; answers ms since `since`. Only 503s may come before. */
async function retryUntilWritten(url: string, bizId: string, since: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status } = await write(url, bizId);
    if (status === 200) return Date.now() - since;
    expect(status).toBe(503);
    if (Date.now() > deadline) throw new Error(`no write acknowledged within ${timeoutMs} ms`);
    await sleep(100);
  }
}

function topologyIn(cwd: string): TopologyState {
  return JSON.parse(readFileSync(join(cwd, 'data', 'topology.json'), 'utf8')) as TopologyState;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
