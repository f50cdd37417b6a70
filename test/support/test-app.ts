import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import { createRootLogger } from '../../src/common/logging/root-logger';
import type { AppConfig } from '../../src/config/app-config';
import { loadAppConfig } from '../../src/config/app-config.factory';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** The working directory the app was started in; DATA_DIR defaults to ./data inside it. */
  cwd: string;
  /** Every JSON log line the app wrote. */
  logs: string[];
  /** The http.Server to hand to supertest. */
  server: ReturnType<NestFastifyApplication['getHttpServer']>;
  close(): Promise<void>;
}

/**
 * The whole AppModule as main.ts builds it, in a fresh temp working directory, with the
 * given environment only (nothing from process.env). Logs are captured, not printed.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-e2e-'));
  const config = loadAppConfig(env, cwd);
  const logs: string[] = [];
  const rootLogger = createRootLogger(config.log.level, { write: (line: string) => void logs.push(line) });
  const app = await createApp(config, { rootLogger });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    config,
    cwd,
    logs,
    server: app.getHttpServer(),
    close: async () => {
      await app.close();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}
