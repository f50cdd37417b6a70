import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TopologyState } from '../../src/database/topology/topology-state';
import { adminHttp } from './app-http';
import { TestApp, startTestApp } from './test-app';

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
    const trouble = test.logs.filter((line) => /"context":"DataSourceSwitch"|failover failed|switchover failed|unexpected error/.test(line));
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
