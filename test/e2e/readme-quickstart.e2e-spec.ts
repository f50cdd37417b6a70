import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The lines of a `## ` section, without its heading. */
function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line === `## ${heading}`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** The ```bash blocks of a piece of Markdown, in order. */
function bashBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```bash\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** The environment of a fresh shell: none of logic-ha's variables leak in from the one running the tests. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const ours =
    /^(DB_|SQLITE_|BACKUP_|CONFIG_|INSTANCE_|HEARTBEAT_|FAILOVER_|FAILURE_|MIGRATION_|HEALTH_|CRON_|ADMIN_TOKEN$|RUNTIME_|LOG_LEVEL$|LOG_REQUESTS$|HOST$|PORT$|DATA_DIR$|BODY_LIMIT_|SHUTDOWN_)/;
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !ours.test(key)));
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function runBash(script: string, env: NodeJS.ProcessEnv): Run {
  // Its own process group, so that `npm start` and the node it spawns stop together.
  const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}

async function stop(run: Run): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  try {
    process.kill(-run.child.pid!, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-run.child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 10_000);
  await run.exited;
  clearTimeout(timer);
}

describe('the README', () => {
  it('starts with the two set-up commands: install and run on the embedded default, and the whole test suite', () => {
    const first = bashBlocks(README)[0].trim().split('\n');
    expect(first).toHaveLength(2);
    expect(first[0]).toMatch(/^npm ci && npm start\s+#/);
    expect(first[1]).toMatch(/^npm ci && npm test\s+#/);
    expect(README.indexOf('```bash')).toBeLessThan(README.indexOf('\n## '));
  });

  it('has a quick start of under 60 lines, whose curl calls send the token, and the content type with every body', () => {
    const quickStart = section(README, 'Quick start');
    expect(quickStart.split('\n').length).toBeLessThan(60);
    const curls = bashBlocks(quickStart)
      .join('\n')
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .filter((line) => line.trimStart().startsWith('curl') || line.includes('$(curl'));
    const apiCalls = curls.filter((line) => line.includes('/api/'));
    expect(apiCalls.length).toBeGreaterThanOrEqual(5);
    for (const call of apiCalls) {
      expect(call).toContain('-H "$AUTH"');
      if (/ -d /.test(call)) expect(call).toContain("-H 'content-type: application/json'");
    }
    expect(quickStart).toMatch(/AUTH="Authorization: Bearer /);
  });

  describe('quick start, run verbatim', () => {
    let dataDir: string;
    let service: Run | undefined;
    beforeEach(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'logic-ha-quickstart-'));
    });
    afterEach(async () => {
      if (service) await stop(service);
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('starts the service, answers the five calls, takes a backup and restores it', async () => {
      const [start, ...client] = bashBlocks(section(README, 'Quick start'));
      expect(start.replace(/#.*$/gm, '').trim()).toBe('npm start');
      const port = await freePort();
      expect(port).not.toBe(3000);
      // PORT and DATA_DIR are the two variables the quick start lets a reader override;
      // the schedules are off only so that a scheduled backup never races the manual one.
      const env = {
        ...cleanEnvironment(),
        PORT: String(port),
        DATA_DIR: dataDir,
        BACKUP_FULL_CRON: 'off',
        BACKUP_INCREMENTAL_CRON: 'off',
      };

      service = runBash(start, env);
      const calls = runBash(client.join('\n'), env);
      const outcome = await Promise.race([
        calls.exited.then((code) => ({ who: 'quick start', code })),
        service.exited.then((code) => ({ who: 'service', code })),
      ]);
      if (outcome.who === 'service') await stop(calls);
      const report = `--- quick start (exit ${outcome.code}):\n${calls.output()}\n--- service:\n${service.output()}`;
      if (outcome.who !== 'quick start' || outcome.code !== 0)
        throw new Error(`the ${outcome.who} stopped first\n${report}`);

      const out = calls.output();
      expect(out).toMatch(/"logicSolutionVersion": "0\.8"/);
      expect(out).toMatch(/"source": "db",\s+"stale": false/);
      expect(out).toMatch(/"isOver": true/);
      expect(out).toMatch(/"state": "succeeded"/);
      expect(out).toMatch(/"rowCounts":\{[^}]*"logic":1[^}]*"logic_instance":1/);
      expect(existsSync(join(dataDir, 'restored', 'logic-ha.sqlite'))).toBe(true);
      expect(existsSync(join(dataDir, 'admin-token'))).toBe(true);
    }, 240_000);
  });
});
