import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppProcess, BUILT_CLI, spawnApp } from '../support/app-process';

/** The built service as a real process: configuration errors, first start, graceful stop. */
describe('the logic-ha process', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'logic-ha-process-'));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it('refuses bad configuration with exit code 78 and one message listing every bad variable', async () => {
    const app = spawnApp(cwd, { PORT: 'eighty', DB_TYPE: 'oracle', ADMIN_TOKEN: 'leaky-secret' });
    const { code } = await app.exited;
    expect(code).toBe(78);
    const stderr = app.stderr();
    expect(stderr).toMatch(/Invalid configuration \(3 problems\)/);
    expect(stderr).toMatch(/- PORT: must be an integer number/);
    expect(stderr).toMatch(/- DB_TYPE: must be one of the following values: sqlite, mysql/);
    expect(stderr).toMatch(/- ADMIN_TOKEN: must be longer than or equal to 16 characters/);
    expect(stderr).not.toContain('leaky-secret');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace for an operator's typo
  });

  it('refuses a token with a space (it could never authenticate) with exit code 78, naming the variable', async () => {
    const app = spawnApp(cwd, { ADMIN_TOKEN: 'correct horse battery staple', RUNTIME_TOKEN: 'r'.repeat(24) });
    const { code } = await app.exited;
    expect(code).toBe(78);
    expect(app.stderr()).toMatch(
      /Invalid configuration \(1 problem\)[^]*- ADMIN_TOKEN: must be one word of printable ASCII/,
    );
    expect(app.stderr()).not.toContain('horse battery');
  });

  it('starts with no configuration, shows a generated admin token once, and stops cleanly on SIGTERM', async () => {
    // PORT=0 only so that parallel runs never collide on 3000; everything else is default.
    const first = spawnApp(cwd, { PORT: '0' });
    const url = await first.listening();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(first.stderr()).toMatch(/generated an admin token/);

    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const lines = first
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'shutdown complete']));

    const second = spawnApp(cwd, { PORT: '0' });
    await second.listening();
    expect(second.stderr()).not.toMatch(/generated an admin token/);
    second.child.kill('SIGINT');
    expect((await second.exited).code).toBe(0);
  });

  it('ends open event streams on SIGTERM instead of waiting for their clients, and exits 0', async () => {
    const app = spawnApp(cwd, { PORT: '0', ADMIN_TOKEN: 'event-stream-admin-token', SHUTDOWN_TIMEOUT_MS: '5000' });
    const url = await app.listening();
    const stream = await fetch(`${url}/api/v1/events`, {
      headers: { authorization: 'Bearer event-stream-admin-token' },
    });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/event: topology/);
    app.child.kill('SIGTERM');
    // Exit 0, not 1: the shutdown did not run into SHUTDOWN_TIMEOUT_MS waiting for the stream.
    expect(await app.exited).toEqual({ code: 0, signal: null });
    // The stream was ended by the server, not cut.
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read());
  });

  it('finishes a request that is in flight when SIGTERM arrives, then exits 0', async () => {
    const app = spawnApp(cwd, { PORT: '0', ADMIN_TOKEN: 'in-flight-admin-token' });
    const url = new URL(await app.listening());
    const body = JSON.stringify({ level: 'debug' });
    const answer = new Promise<{ status: number; connection?: string; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'PUT',
          path: '/api/v1/system/log-level',
          headers: {
            authorization: 'Bearer in-flight-admin-token',
            'content-type': 'application/json',
            'content-length': body.length,
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
        },
      );
      req.on('error', reject);
      // Half the body now, SIGTERM, the rest later: the request is in flight during shutdown.
      req.write(body.slice(0, 5));
      setTimeout(() => {
        app.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(5)), 300);
      }, 300);
    });
    // Connection: close, so a keep-alive client cannot hold the shutdown open.
    expect(await answer).toEqual({
      status: 200,
      connection: 'close',
      body: JSON.stringify({ previous: 'info', level: 'debug' }),
    });
    expect(await app.exited).toEqual({ code: 0, signal: null });
  });

  describe('the CLI', () => {
    it('runs a job once and prints its report as JSON on stdout', async () => {
      // A job never migrates (issue 14): the schema is brought up to date the operator's way first.
      const upgrade = spawnApp(cwd, { ADMIN_TOKEN: 'cli-admin-token-0123' }, ['upgrade'], BUILT_CLI);
      expect((await upgrade.exited).code).toBe(0);
      const cli = spawnApp(
        cwd,
        { ADMIN_TOKEN: 'cli-admin-token-0123' },
        ['instances', 'run-job', 'cleanup'],
        BUILT_CLI,
      );
      expect({ ...(await cli.exited), stderr: cli.stderr() }).toEqual({ code: 0, signal: null, stderr: '' });
      expect(JSON.parse(cli.stdout())).toMatchObject({ job: 'cleanup', trigger: 'manual', counts: { deleted: 0 } });
    });

    it.each([
      [
        ['instances', 'run-job', 'reboot'],
        /value 'reboot' is invalid for argument 'job'. Allowed choices are long-running, retry, cleanup\./,
        /Usage: logic-ha instances run-job/,
      ],
      [
        ['instances', 'delete-all'],
        /unknown command 'delete-all'/,
        /Usage: logic-ha instances \[options\] \[command\]/,
      ],
      [[], /^/, /Usage: logic-ha \[options\] \[command\]/],
    ])('refuses %j with exit code 2 and the usage', async (args, message, usage) => {
      const cli = spawnApp(cwd, {}, args, BUILT_CLI);
      expect((await cli.exited).code).toBe(2);
      expect(cli.stderr()).toMatch(message);
      expect(cli.stderr()).toMatch(usage);
    });
  });

  it('two processes: B serves from A, from its file while A is dead, and from A again when A returns', async () => {
    const aDir = mkdtempSync(join(tmpdir(), 'logic-ha-node-a-'));
    const token = 'two-node-admin-token';
    const spawned: AppProcess[] = [];
    const start = (dir: string, env: Record<string, string>) => {
      const app = spawnApp(dir, env);
      spawned.push(app);
      return app;
    };
    try {
      let a = start(aDir, { PORT: '0', ADMIN_TOKEN: token });
      const aUrl = await a.listening();
      const b = start(cwd, {
        PORT: '0',
        ADMIN_TOKEN: token,
        CONFIG_HOST_URL: aUrl,
        CONFIG_HOST_TIMEOUT_MS: '500',
        CONFIG_HOST_RETRIES: '0',
        CONFIG_HOST_BREAKER_FAILURES: '1',
        CONFIG_HOST_BREAKER_HALF_OPEN_MS: '300',
      });
      const bUrl = await b.listening();
      const admin = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const publish = await fetch(`${aUrl}/api/v1/configs/flow/publish`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ version: '1', config: { steps: 3 } }),
      });
      expect(publish.status).toBe(201);
      const read = async () =>
        (await fetch(`${bUrl}/api/v1/configs/flow`)).json() as Promise<{ source: string; stale: boolean }>;
      const clearB = async () => {
        const cleared = await fetch(`${bUrl}/api/v1/configs/cache`, {
          method: 'DELETE',
          headers: { authorization: admin.authorization },
        });
        expect(cleared.status).toBe(200);
      };

      expect(await read()).toMatchObject({ source: 'host', stale: false });
      a.child.kill('SIGKILL');
      await a.exited;
      await clearB();
      expect(await read()).toMatchObject({ source: 'file', stale: true });

      a = start(aDir, { PORT: new URL(aUrl).port, ADMIN_TOKEN: token });
      await a.listening();
      await new Promise((resolve) => setTimeout(resolve, 350)); // the breaker half-opens after 300 ms
      await clearB();
      expect(await read()).toMatchObject({ source: 'host', stale: false });
    } finally {
      for (const app of spawned) app.child.kill('SIGKILL');
      await Promise.all(spawned.map((app) => app.exited));
      rmSync(aDir, { recursive: true, force: true });
    }
  });
});
