import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hookEnvironment } from './hook-event';
import { ShellCommandRunner } from './shell-command-runner';

/** Real /bin/sh processes: what a hook script sees, and what happens to one that will not end. */
describe('ShellCommandRunner (real processes)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'logic-ha-hook-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const script = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return path;
  };

  it('reports the exit code and the output, each line handed over with its stream', async () => {
    const lines: string[] = [];
    const result = await new ShellCommandRunner().run({
      command: script('veto.sh', 'echo "replica lag too high"\necho "see runbook" >&2\nexit 3'),
      stdin: '',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      timeoutMs: 10_000,
      onLine: (stream, line) => lines.push(`${stream}: ${line}`),
    });
    expect(result).toMatchObject({ exitCode: 3, signal: null, timedOut: false, startError: null });
    expect(result.outputTail).toContain('replica lag too high');
    expect(result.outputTail).toContain('see runbook');
    expect(lines).toEqual(['stdout: replica lag too high', 'stderr: see runbook']);
  });

  it('runs a pipeline with /bin/sh -c, feeds stdin, and passes exactly the environment given', async () => {
    process.env.LOGIC_HA_TEST_SECRET = 'hunter2';
    try {
      const env = hookEnvironment('FAILOVER_POST_HOOK', {
        event: 'post-failover',
        kind: 'failover',
        failoverId: 'fo-1',
        oldPrimary: '127.0.0.1:1',
        newPrimary: '127.0.0.1:2',
        epoch: 4,
        reason: null,
        step: null,
        clusterNode: null,
        at: '2026-11-29T00:00:00.000Z',
      });
      const result = await new ShellCommandRunner().run({
        command: `cat > ${dir}/stdin.json; env | sort > ${dir}/env.txt; echo one two | tr ' ' '\\n' | wc -l`,
        stdin: '{"event":"post-failover"}\n',
        env,
        timeoutMs: 10_000,
      });
      expect(result.exitCode).toBe(0);
      expect(result.outputTail.trim()).toBe('2');
      expect(readFileSync(join(dir, 'stdin.json'), 'utf8')).toBe('{"event":"post-failover"}\n');
      const seen = readFileSync(join(dir, 'env.txt'), 'utf8');
      expect(seen).toContain('LOGIC_HA_NEW_PRIMARY=127.0.0.1:2\n');
      expect(seen).toContain('LOGIC_HA_EPOCH=4\n');
      expect(seen).toContain('LOGIC_HA_REASON=\n');
      expect(seen).not.toContain('hunter2');
    } finally {
      delete process.env.LOGIC_HA_TEST_SECRET;
    }
  });

  it('kills a hook that hangs at its timeout, with its children, even when they ignore SIGTERM', async () => {
    const childPidFile = join(dir, 'child.pid');
    const scriptPidFile = join(dir, 'script.pid');
    const hang = script(
      'hang.sh',
      `trap '' TERM\necho $$ > ${scriptPidFile}\nsleep 1000 &\necho $! > ${childPidFile}\necho waiting\nwait`,
    );
    // `sh -c <script>` forks the script: the outer shell dies at SIGTERM, the script and its sleep need SIGKILL.
    const result = await new ShellCommandRunner(300).run({ command: hang, stdin: '', env: {}, timeoutMs: 500 });
    expect(result).toMatchObject({ exitCode: null, timedOut: true });
    expect(result.signal).toMatch(/^SIG(TERM|KILL)$/);
    expect(result.outputTail).toContain('waiting');
    const pids = [childPidFile, scriptPidFile].map((file) => Number(readFileSync(file, 'utf8')));
    await waitFor(() => pids.every((pid) => !alive(pid)));
    expect(pids.filter(alive)).toEqual([]);
  });

  it('ends a well-behaved hook at SIGTERM, before any SIGKILL', async () => {
    const result = await new ShellCommandRunner(60_000).run({
      command: 'sleep 1000',
      stdin: '',
      env: {},
      timeoutMs: 300,
    });
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGTERM', timedOut: true });
  });

  it('does not fail a hook that ignores its stdin', async () => {
    const result = await new ShellCommandRunner().run({
      command: 'exit 0',
      stdin: 'x'.repeat(1024 * 1024),
      env: {},
      timeoutMs: 10_000,
    });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, startError: null });
  });
});

/** Gone, or a zombie nobody has reaped yet (a container's init may be slow to reap). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
}
