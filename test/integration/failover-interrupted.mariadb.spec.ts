import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TopologyState } from '../../src/database/topology/topology-state';
import { adminHttp } from '../support/app-http';
import { type AppProcess, spawnApp } from '../support/app-process';
import { bizIdsOn, serverKey } from '../support/failover-app';
import { DEPLOYMENT, type FailoverCluster, type MariaDbServer, startFailoverCluster } from '../support/mariadb';
import { waitForReplicaCaughtUp } from '../support/mariadb/replicated-pair';

jest.setTimeout(300_000);

const ADMIN_TOKEN = 'interrupted-admin-token-0123456789';
const LOGIC_ID = 'failover-interrupted';

interface Roles {
  primary: MariaDbServer;
  standbys: MariaDbServer[];
}

interface SlaveRow {
  Slave_IO_Running: string;
  Slave_SQL_Running: string;
  Master_Port: number;
}

/**
 * kill -9 of the logic-ha PROCESS after each failover step in turn (the test-only
 * FAILOVER_TEST_CRASH_AFTER_STEP makes it SIGKILL itself right after that step), then a
 * restart, with the old primary back for some cases and still dead for others. After the
 * restart: exactly one writable server, the topology's primary; every standby replicates
 * from it (IO and SQL threads Yes); every write acknowledged before the crash is on it; a
 * new write is acknowledged and reaches the standbys. One set of three servers is shared:
 * after each case the roles are whatever the case left, and the fenced server is re-attached.
 */
describe('a failover interrupted by kill -9 of logic-ha is finished or rolled back at restart (real MariaDB)', () => {
  let cluster: FailoverCluster;
  let roles: Roles;
  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-interrupted-'));
  // One DATA_DIR for every case: the epoch goes on (the servers record it, and a fresh topology would be stale).
  const dataDir = join(cwd, 'data');
  const nodes: AppProcess[] = [];
  let written = 0;

  beforeAll(async () => {
    cluster = await startFailoverCluster({ replicas: 2, serverIdBase: 140 });
    roles = { primary: cluster.primary, standbys: [...cluster.replicas] };
    mkdirSync(dataDir);
  });
  afterAll(async () => {
    for (const node of nodes) if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill();
    await Promise.all(nodes.map((node) => node.exited));
    await cluster?.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  /**
   * `midDetach`: killed inside detach-from-old-primary, between its STOP SLAVE and its RESET
   * SLAVE ALL (a kill -9 lands anywhere): the crash is after apply-relay-log, and the test
   * sends the STOP SLAVE the detach would have sent. Both threads are then off.
   */
  const cases: { step: string; primaryBack: boolean; expected: 'rolled-back' | 'finished'; midDetach?: boolean }[] = [
    { step: 'stop-io-thread', primaryBack: true, expected: 'rolled-back' },
    { step: 'apply-relay-log', primaryBack: true, expected: 'rolled-back', midDetach: true },
    { step: 'detach-from-old-primary', primaryBack: true, expected: 'rolled-back' },
    { step: 'persist-topology', primaryBack: true, expected: 'finished' },
    { step: 'enable-writes', primaryBack: false, expected: 'finished' },
    { step: 'stop-io-thread', primaryBack: false, expected: 'finished' },
    { step: 'detach-from-old-primary', primaryBack: false, expected: 'finished' },
  ];

  it.each(cases)(
    'killed after $step, old primary back: $primaryBack → $expected',
    async ({ step, primaryBack, expected, midDetach }) => {
      const oldPrimary = roles.primary;
      const env = { ...envFor(roles), DATA_DIR: dataDir };

      const first = startNode({ ...env, FAILOVER_TEST_CRASH_AFTER_STEP: step });
      const firstAdmin = adminHttp(() => firstUrl, ADMIN_TOKEN);
      const firstUrl = await first.listening(120_000);
      await firstAdmin.poll('/api/v1/failover/status', (s) => replicatingStandbys(s) === roles.standbys.length);
      const acknowledged = await writeSome(firstUrl, 5);
      for (const standby of roles.standbys) await waitForReplicaCaughtUp(oldPrimary, standby);

      await oldPrimary.kill();
      const exit = await first.exited;
      expect(exit.signal).toBe('SIGKILL');
      expect(first.stderr()).toContain(`killing this process after step ${step}`);
      if (midDetach) {
        const candidate = JSON.parse(readFileSync(join(dataDir, 'topology.json'), 'utf8')).pending.candidate as string;
        await roles.standbys.find((s) => serverKey(s.port) === candidate)!.query('STOP SLAVE');
      }
      if (primaryBack) await oldPrimary.restart();

      const second = startNode(env);
      const url = await second.listening(120_000);
      const admin = adminHttp(() => url, ADMIN_TOKEN);
      const settled = await admin.poll(
        '/api/v1/failover/status',
        (s) => !s.switching && primaryWritable(s) && standbyCount(s) > 0 && replicatingStandbys(s) === standbyCount(s),
        120_000,
      );
      const writable = await writableServers(primaryBack ? [oldPrimary, ...roles.standbys] : roles.standbys);
      expect(writable.map((s) => serverKey(s.port))).toEqual([settled.primary]);
      const [primary] = writable;
      if (expected === 'rolled-back') expect(primary).toBe(oldPrimary);
      else expect(primary).not.toBe(oldPrimary);

      // Every standby of the topology replicates from the primary, both threads running.
      const standbys = [oldPrimary, ...roles.standbys].filter((s) =>
        settled.servers.some((x: { key: string; role: string }) => x.key === serverKey(s.port) && x.role === 'standby'),
      );
      expect(standbys.length).toBeGreaterThan(0);
      for (const standby of standbys) {
        const [row] = await standby.query<SlaveRow[]>('SHOW SLAVE STATUS');
        expect(row).toMatchObject({ Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes', Master_Port: primary.port });
      }
      const onPrimary = await bizIdsOn(primary, LOGIC_ID);
      expect(acknowledged.filter((bizId) => !onPrimary.has(bizId))).toEqual([]);
      // Nothing half-way is left: no intent, no standby problem reported. The new primary's
      // semi-sync master role comes from the replica configuration pass once a standby
      // replicates (within 5 s), so the warnings settle rather than being empty at once.
      const replicationWarnings = (s: Record<string, any>) =>
        (s.warnings as string[]).filter((w) => /replica|replication|standby|interrupted failover/i.test(w));
      const state = await admin.poll('/api/v1/failover/status', (s) => replicationWarnings(s).length === 0, 30_000);
      expect(replicationWarnings(state)).toEqual([]);
      expect(state.pendingFailover).toBeNull();
      const after = await writeSome(url, 1);
      for (const standby of standbys) await waitForReplicaCaughtUp(primary, standby);
      for (const standby of standbys) expect((await bizIdsOn(standby, LOGIC_ID)).has(after[0])).toBe(true);

      second.child.kill('SIGTERM');
      await second.exited;
      await resetRoles(primary, oldPrimary, primaryBack);
      returnFencedServers();
    },
  );

  it('a standby stopped by hand (STOP SLAVE) is a warning in status and readiness, left alone in maintenance, then repaired', async () => {
    const node = startNode({ ...envFor(roles), DATA_DIR: dataDir });
    const url = await node.listening(120_000);
    const admin = adminHttp(() => url, ADMIN_TOKEN);
    await admin.poll('/api/v1/failover/status', (s) => replicatingStandbys(s) === roles.standbys.length, 120_000);
    const [standby] = roles.standbys;
    const key = serverKey(standby.port);
    expect((await admin.api('PUT', '/api/v1/failover/maintenance', { enabled: true, reason: 'test' })).status).toBe(
      200,
    );

    await standby.query('STOP SLAVE');
    const warned = await admin.poll(
      '/api/v1/failover/status',
      (s) => s.warnings.some((w: string) => w.includes(key)),
      60_000,
    );
    expect(warned.warnings).toEqual([
      expect.stringMatching(new RegExp(`standby ${key} has replication stopped .*not repaired: maintenance mode`)),
    ]);
    const ready = await fetch(`${url}/health/ready`);
    const readiness = (await ready.json()) as Record<string, any>;
    expect(ready.status).toBe(200);
    expect(readiness.details.topology).toMatchObject({
      status: 'up',
      degraded: true,
      standbyProblems: [expect.objectContaining({ server: key, kind: 'stopped' })],
    });
    // Reported in maintenance means judged and left: a repair would have come with the report.
    const [stopped] = await standby.query<SlaveRow[]>('SHOW SLAVE STATUS');
    expect(stopped).toMatchObject({ Slave_IO_Running: 'No', Slave_SQL_Running: 'No' });

    expect((await admin.api('PUT', '/api/v1/failover/maintenance', { enabled: false })).status).toBe(200);
    await admin.poll('/api/v1/failover/status', (s) => s.warnings.length === 0, 60_000);
    const [repaired] = await standby.query<SlaveRow[]>('SHOW SLAVE STATUS');
    expect(repaired).toMatchObject({
      Slave_IO_Running: 'Yes',
      Slave_SQL_Running: 'Yes',
      Master_Port: roles.primary.port,
    });
    await node.logged(/standby repaired: START SLAVE/);
    const healthy = (await (await fetch(`${url}/health/ready`)).json()) as Record<string, any>;
    expect(healthy.details.topology).toMatchObject({ degraded: false, standbyProblems: [] });
    node.child.kill('SIGTERM');
    await node.exited;
  });

  /** The next case starts from a healthy set: the server left fenced (or dead) replicates from the primary again. */
  async function resetRoles(primary: MariaDbServer, oldPrimary: MariaDbServer, primaryBack: boolean): Promise<void> {
    const all = [cluster.primary, ...cluster.replicas];
    if (!primaryBack) await oldPrimary.restart();
    for (const server of all.filter((s) => s !== primary)) {
      const [row] = await server.query<SlaveRow[]>('SHOW SLAVE STATUS');
      if (row?.Master_Port === primary.port && row.Slave_IO_Running === 'Yes' && row.Slave_SQL_Running === 'Yes')
        continue;
      await server.query(
        `STOP SLAVE; SET GLOBAL read_only = ON;
         CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?,
           MASTER_USE_GTID = current_pos, MASTER_CONNECT_RETRY = 1, MASTER_HEARTBEAT_PERIOD = 1;
         START SLAVE;`,
        [primary.port, DEPLOYMENT.replication.user, DEPLOYMENT.replication.password],
      );
    }
    for (const server of all.filter((s) => s !== primary)) await waitForReplicaCaughtUp(primary, server);
    roles = { primary, standbys: all.filter((s) => s !== primary) };
  }

  /**
   * What an operator (or, later, automatic rejoin) does once a fenced server replicates again:
   * it goes back into the topology as a standby, and the cooldown is acknowledged.
   */
  function returnFencedServers(): void {
    const file = join(dataDir, 'topology.json');
    const state = JSON.parse(readFileSync(file, 'utf8')) as TopologyState;
    writeFileSync(
      file,
      JSON.stringify({ ...state, fenced: [], control: { ...state.control, acknowledged: true, disabledReason: null } }),
    );
  }

  function startNode(env: Record<string, string>): AppProcess {
    const node = spawnApp(cwd, { ADMIN_TOKEN, LOG_LEVEL: 'info', PORT: '0', ...env });
    nodes.push(node);
    return node;
  }

  async function writeSome(url: string, count: number): Promise<string[]> {
    const acknowledged: string[] = [];
    for (let i = 0; i < count; i++) {
      const bizId = `w-${++written}`;
      const response = await fetch(`${url}/api/v1/instances/start`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ logicId: LOGIC_ID, bizId }),
      });
      await response.arrayBuffer();
      expect(response.status).toBe(200);
      acknowledged.push(bizId);
    }
    return acknowledged;
  }
});

function envFor(roles: Roles): Record<string, string> {
  const url = (server: MariaDbServer) =>
    `mysql://${DEPLOYMENT.app.user}:${DEPLOYMENT.app.password}@127.0.0.1:${server.port}/${DEPLOYMENT.database}`;
  return {
    DB_TYPE: 'mysql',
    DB_PRIMARY_URL: url(roles.primary),
    DB_STANDBY_URLS: roles.standbys.map(url).join(','),
    DB_ADMIN_USER: DEPLOYMENT.monitor.user,
    DB_ADMIN_PASSWORD: DEPLOYMENT.monitor.password,
    DB_REPLICATION_USER: DEPLOYMENT.replication.user,
    DB_REPLICATION_PASSWORD: DEPLOYMENT.replication.password,
  };
}

type Status = Record<string, any>;

function standbyCount(status: Status): number {
  return (status.servers ?? []).filter((s: { role: string }) => s.role === 'standby').length;
}

function primaryWritable(status: Status): boolean {
  return (status.servers ?? []).some(
    (s: { role: string; readOnly?: boolean }) => s.role === 'primary' && s.readOnly === false,
  );
}

function replicatingStandbys(status: Status): number {
  return (status.servers ?? []).filter(
    (s: { role: string; replication?: { ioThread?: string; sqlThread?: string } }) =>
      s.role === 'standby' && s.replication?.ioThread === 'Yes' && s.replication?.sqlThread === 'Yes',
  ).length;
}

/** The servers that accept writes (read_only OFF), among those running. */
async function writableServers(servers: MariaDbServer[]): Promise<MariaDbServer[]> {
  const writable: MariaDbServer[] = [];
  for (const server of servers) {
    const [{ readOnly }] = await server.query<{ readOnly: number }[]>('SELECT @@global.read_only AS readOnly');
    if (Number(readOnly) === 0) writable.push(server);
  }
  return writable;
}
