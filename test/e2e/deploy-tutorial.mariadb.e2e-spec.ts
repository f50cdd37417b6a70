import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findMariaDbBinary } from '../support/mariadb';
import { SYSTEM_MARIADB_PORT, freeLoopbackPort } from '../support/mariadb/free-port';

const ROOT = join(__dirname, '..', '..');
const TUTORIAL = join(ROOT, 'docs', 'deploy-mariadb.md');
/** A step may build dist/ (about 30 s on two cores) or wait for a failover: generous, but bounded. */
const STEP_TIMEOUT_MS = 150_000;
/** The settings of the tutorial's first step; the test points the ones marked true at private places. */
const SETTINGS: Record<string, boolean> = {
  WORK: true,
  DB1_HOST: false,
  DB1_PORT: true,
  DB2_HOST: false,
  DB2_PORT: true,
  LOGIC_HA_PORT: true,
  LOGIC_HA: false,
  APP_PASSWORD: false,
  REPL_PASSWORD: false,
  MONITOR_PASSWORD: false,
  ADMIN_TOKEN: false,
  RUNTIME_TOKEN: false,
};
/** Blocks the tutorial marks `<!-- not run: … -->`: at most these, each with its reason. */
const MAX_NOT_RUN = 2;

interface Block {
  /** 1-based line of the opening fence, for messages. */
  line: number;
  script: string;
  /** The ```text block that follows: what the reader is told to expect. */
  expected?: string;
  notRun?: string;
}

/** The ```bash blocks in order, each with its expected output and its not-run reason if any. */
function parseTutorial(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let notRun: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const comment = /^<!-- not run: (.+) -->$/.exec(lines[i]);
    if (comment) {
      notRun = comment[1];
      continue;
    }
    const fence = /^```(\S*)\s*$/.exec(lines[i]);
    if (!fence) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]);
    if (i >= lines.length) throw new Error(`line ${start + 1}: fence never closed`);
    const text = `${body.join('\n')}\n`;
    if (fence[1] === 'bash') {
      blocks.push({ line: start + 1, script: text, notRun });
    } else if (fence[1] === 'text') {
      const owner = blocks[blocks.length - 1];
      if (!owner || owner.notRun || owner.expected) throw new Error(`line ${start + 1}: a text block must follow a bash block that runs and has no other`);
      owner.expected = text;
    } else if (notRun) {
      throw new Error(`line ${start + 1}: "not run" marks a bash block only`);
    }
    notRun = undefined;
  }
  return blocks;
}

/** NAME=value assignments at the start of a line. */
function assignments(script: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of script.matchAll(/^([A-Z][A-Z0-9_]*)=(\S*)/gm)) found.set(match[1], match[2]);
  return found;
}

/**
 * Checks output against a "You should see" block: every non-empty line of it, trimmed,
 * must equal a line of the output, in the same order (other output lines may come in
 * between); `…` stands for any text. The tutorial's default ports become the test's.
 */
function expectOutput(block: Block, output: string, ports: Map<string, string>): void {
  const outputLines = output.split('\n').map((line) => line.trim());
  let at = 0;
  for (const raw of block.expected!.split('\n').map((line) => line.trim()).filter(Boolean)) {
    let wanted = raw;
    for (const [from, to] of ports) wanted = wanted.replace(new RegExp(`\\b${from}\\b`, 'g'), to);
    const pattern = new RegExp(`^${wanted.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    const found = outputLines.findIndex((line, index) => index >= at && pattern.test(line));
    if (found === -1) {
      throw new Error(
        `docs/deploy-mariadb.md line ${block.line}: expected a line "${wanted}" (in order) in the output:\n${output}\n--- script ---\n${block.script}`,
      );
    }
    at = found + 1;
  }
}

/** One bash process for the whole tutorial, as a reader's terminal: variables and functions carry over. */
class Terminal {
  private readonly shell: ChildProcessWithoutNullStreams;
  private stdout = '';
  private exitCode: number | null | undefined;
  private count = 0;

  constructor(
    private readonly runDir: string,
    env: Record<string, string>,
  ) {
    this.shell = spawn('bash', ['--noprofile', '--norc'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.shell.stdout.on('data', (chunk) => (this.stdout += chunk));
    this.shell.stderr.on('data', (chunk) => (this.stdout += chunk));
    this.shell.once('exit', (code) => (this.exitCode = code));
    // A command that fails, an unset variable or a failing pipe stops the tutorial: the test fails there.
    this.shell.stdin.write('set -euo pipefail\n');
  }

  /** Runs one block as if pasted; answers what it printed (stdout and stderr, interleaved as on a terminal). */
  async run(script: string, timeoutMs = STEP_TIMEOUT_MS): Promise<string> {
    const step = ++this.count;
    const file = join(this.runDir, `step-${step}.sh`);
    const out = join(this.runDir, `step-${step}.out`);
    const marker = `__STEP_DONE__ ${step}`;
    writeFileSync(file, script);
    this.shell.stdin.write(`source ${file} > ${out} 2>&1\necho "${marker}"\n`);
    const deadline = Date.now() + timeoutMs;
    const printed = () => (existsSync(out) ? readFileSync(out, 'utf8') : '');
    while (!this.stdout.includes(marker)) {
      if (this.exitCode !== undefined) throw new Error(`the step failed (bash exited with ${this.exitCode}); it printed:\n${printed()}`);
      if (Date.now() > deadline) throw new Error(`the step did not finish within ${timeoutMs} ms; it printed:\n${printed()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return printed();
  }

  close(): void {
    if (this.exitCode === undefined) this.shell.kill('SIGKILL');
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * docs/deploy-mariadb.md, run as a reader runs it: every ```bash block in order, in one
 * bash (errexit, nounset, pipefail), from the repository root, with the tutorial's first
 * step pointed at free loopback ports and a temporary folder (never 3306). What each block
 * prints is compared with the "You should see" block after it. The tutorial starts its
 * own mariadbd and logic-ha processes, kills the primary, restarts it, and cleans up.
 */
describe('docs/deploy-mariadb.md, every command in order', () => {
  const blocks = parseTutorial(readFileSync(TUTORIAL, 'utf8'));
  const runnable = blocks.filter((block) => !block.notRun);
  const settingsAsWritten = runnable[0]?.script ?? '';
  const root = mkdtempSync(join(tmpdir(), 'logic-ha-tutorial-'));
  const work = join(root, 'work');
  const runDir = join(root, 'run');
  const home = join(root, 'home');
  /** The tutorial's default port -> this run's port, for the expected outputs. */
  const ports = new Map<string, string>();
  const pids = new Set<number>();
  let terminal: Terminal;
  let failedAt: number | null = null;

  beforeAll(async () => {
    mkdirSync(runDir);
    mkdirSync(home);
    const defaults = assignments(runnable[0].script);
    const [db1, db2, app] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
    if (new Set([db1, db2, app]).size !== 3) throw new Error('the kernel handed out the same port twice');
    for (const port of [db1, db2, app]) if (port === SYSTEM_MARIADB_PORT || port === 6379) throw new Error(`refusing port ${port}`);
    const overrides: Record<string, string> = { WORK: work, DB1_PORT: String(db1), DB2_PORT: String(db2), LOGIC_HA_PORT: String(app) };
    for (const name of ['DB1_PORT', 'DB2_PORT', 'LOGIC_HA_PORT']) ports.set(defaults.get(name)!, overrides[name]);
    let settings = runnable[0].script;
    for (const [name, value] of Object.entries(overrides)) {
      const line = new RegExp(`^${name}=.*$`, 'm');
      if (!line.test(settings)) throw new Error(`the tutorial's first step no longer sets ${name}`);
      settings = settings.replace(line, `${name}='${value}'`);
    }
    runnable[0].script = settings;
    const mariadbd = dirname(findMariaDbBinary('mariadbd'));
    terminal = new Terminal(runDir, {
      PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:${mariadbd}`,
      HOME: home,
      LANG: 'C.UTF-8',
    });
  });

  afterAll(() => {
    terminal?.close();
    // Whatever the tutorial left running (it stops everything itself when it gets to the end).
    for (const pid of pids) {
      if (!alive(pid)) continue;
      let command = '';
      try {
        command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (command.includes(work) || command.includes('dist/src/main.js')) process.kill(pid, 'SIGKILL');
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('has runnable steps, few blocks it cannot run (each saying why), and the settings this test overrides', () => {
    expect(runnable.length).toBeGreaterThan(20);
    const notRun = blocks.filter((block) => block.notRun);
    expect(notRun.length).toBeLessThanOrEqual(MAX_NOT_RUN);
    for (const block of notRun) expect(block.notRun!.length).toBeGreaterThan(20);
    // A new setting (a port, a folder) must be known here, so the test never runs on the machine's own.
    expect([...assignments(settingsAsWritten).keys()].sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  runnable.forEach((block, index) => {
    const title = block.script.split('\n').find((line) => line.trim() && !line.startsWith('#')) ?? '';
    it(`step ${index + 1} (line ${block.line}): ${title.slice(0, 80)}`, async () => {
      if (failedAt !== null) throw new Error(`not run: the step at line ${failedAt} failed, and every later step depends on it`);
      try {
        const output = await terminal.run(block.script);
        for (const name of ['db1/mariadb.pid', 'db2/mariadb.pid', 'logic-ha.pid']) {
          const file = join(work, name);
          if (existsSync(file)) pids.add(Number(readFileSync(file, 'utf8').trim()));
        }
        if (block.expected) expectOutput(block, output, ports);
      } catch (error) {
        failedAt = block.line;
        throw error;
      }
    }, STEP_TIMEOUT_MS + 10_000);
  });

  it('leaves nothing behind: its clean-up step stopped every process it started and removed its folder', async () => {
    expect(failedAt).toBeNull();
    expect(pids.size).toBeGreaterThanOrEqual(3);
    const deadline = Date.now() + 15_000;
    while ([...pids].some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect([...pids].filter(alive)).toEqual([]);
    expect(existsSync(work)).toBe(false);
  });
});
