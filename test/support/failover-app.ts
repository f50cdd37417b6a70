import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TopologyState } from '../../src/database/topology/topology-state';
import { adminHttp } from './app-http';
import { type FailoverCluster, type MariaDbServer, startFailoverCluster } from './mariadb';
import { TcpProxy } from './tcp-proxy';
import { type TestApp, startTestApp } from './test-app';

export const ADMIN_TOKEN = 'failover-admin-token-0123456789';

export interface ListeningApp {
  test: TestApp;
  baseUrl: string;
  admin: ReturnType<typeof adminHttp>;
  close(): Promise<void>;
}

/** The whole app in this process, listening on a loopback port (writers and SSE need a real socket). */
export async function startListeningApp(env: Record<string, string>): Promise<ListeningApp> {
  const test = await startTestApp({ ADMIN_TOKEN, LOG_LEVEL: 'info', ...env });
  await test.app.listen(0, '127.0.0.1');
  const address = test.app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('app has no port');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const close = async () => {
    // When something went wrong, the test output shows the app's own account of it.
    const trouble = test.logs.filter((line) =>
      /"context":"DataSourceSwitch"|failover failed|switchover failed|unexpected error/.test(line),
    );
    if (trouble.length > 0) console.log(`app log, trouble only:\n${trouble.join('')}`);
    await test.close();
  };
  return { test, baseUrl, admin: adminHttp(() => baseUrl, ADMIN_TOKEN), close };
}

/** A DATA_DIR that outlives one app, so a second app starts from the first one's topology file. */
export function sharedDataDir(): { path: string; topology(): TopologyState; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'logic-ha-failover-'));
  return {
    path,
    topology: () => JSON.parse(readFileSync(join(path, 'topology.json'), 'utf8')) as TopologyState,
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** A server's key in the topology, as the harness's servers are addressed. */
export const serverKey = (port: number) => `127.0.0.1:${port}`;

/** The bizIds of one logic's instances on a server, read as root. */
export async function bizIdsOn(server: MariaDbServer, logicId: string): Promise<Set<string>> {
  const rows = await server.query<{ bizId: string }[]>('SELECT bizId FROM logic_ha.logic_instance WHERE logicId = ?', [
    logicId,
  ]);
  return new Set(rows.map((row) => row.bizId));
}

/** One instance start through the runtime API; answers the HTTP status. */
export async function startInstance(app: ListeningApp, logicId: string, bizId: string): Promise<number> {
  const response = await fetch(`${app.baseUrl}/api/v1/instances/start`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ logicId, bizId }),
  });
  await response.arrayBuffer();
  return response.status;
}

export interface FailoverWorld {
  cluster: FailoverCluster;
  /** Reassign to restart the app; afterAll closes whichever app is here then. */
  app: ListeningApp;
  dataDir: ReturnType<typeof sharedDataDir>;
  /** Set with `viaProxy`: the app and its monitor reach the primary through it. */
  proxy?: TcpProxy;
}

/**
 * Registers beforeAll/afterAll for a describe: a failover cluster, logic-ha in process on
 * it (its own DATA_DIR), optionally through a TCP proxy to the primary, and, when asked,
 * waits until that many standbys are seen replicating. Everything is stopped afterwards.
 */
export function useFailoverWorld(options: {
  replicas: number;
  serverIdBase: number;
  viaProxy?: boolean;
  replicatingStandbys?: number;
  /** Added to the app's environment (FAILOVER_PRE_HOOK, detection timing, backups, ...). */
  env?: Record<string, string>;
}): FailoverWorld {
  const world = { dataDir: sharedDataDir() } as FailoverWorld;
  beforeAll(async () => {
    world.cluster = await startFailoverCluster({ replicas: options.replicas, serverIdBase: options.serverIdBase });
    if (options.viaProxy) world.proxy = await TcpProxy.start(world.cluster.primary.port);
    world.app = await startListeningApp({
      ...world.cluster.env({ primaryPort: world.proxy?.port }),
      DATA_DIR: world.dataDir.path,
      ...options.env,
    });
    const standbys = options.replicatingStandbys ?? 0;
    if (standbys > 0) {
      await world.app.admin.poll(
        '/api/v1/failover/status',
        (s) =>
          (s.servers ?? []).filter((x: { replication?: { ioThread?: string } }) => x.replication?.ioThread === 'Yes')
            .length >= standbys,
      );
    }
  });
  afterAll(async () => {
    await world.app?.close();
    await world.proxy?.stop();
    await world.cluster?.stop();
    world.dataDir.remove();
  });
  return world;
}
