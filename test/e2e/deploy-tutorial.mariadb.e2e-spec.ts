import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
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
  /** Marked `<!-- alternative: … -->`: another way to do the step before it, run on its own servers. */
  alternative?: string;
}

/** The ```bash blocks in order, each with its expected output and its not-run reason if any. */
function parseTutorial(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let notRun: string | undefined;
  let alternative: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const comment = /^<!-- (not run|alternative): (.+) -->$/.exec(lines[i]);
    if (comment) {
      if (comment[1] === 'not run') notRun = comment[2];
      else alternative = comment[2];
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
      blocks.push({ line: start + 1, script: text, notRun, alternative });
    } else if (fence[1] === 'text') {
      const owner = blocks[blocks.length - 1];
      if (!owner || owner.notRun || owner.expected)
        throw new Error(`line ${start + 1}: a text block must follow a bash block that runs and has no other`);
      owner.expected = text;
    } else if (notRun || alternative) {
      throw new Error(`line ${start + 1}: "not run" and "alternative" mark a bash block only`);
    }
    notRun = undefined;
    alternative = undefined;
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
  for (const raw of block
    .expected!.split('\n')
    .map((line) => line.trim())
    .filter(Boolean)) {
    let wanted = raw;
    for (const [from, to] of ports) wanted = wanted.replace(new RegExp(`\\b${from}\\b`, 'g'), to);
    const pattern = new RegExp(
      `^${wanted
        .split('…')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
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
      if (this.exitCode !== undefined)
        throw new Error(`the step failed (bash exited with ${this.exitCode}); it printed:\n${printed()}`);
      if (Date.now() > deadline)
        throw new Error(`the step did not finish within ${timeoutMs} ms; it printed:\n${printed()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return printed();
  }

  close(): void {
    if (this.exitCode === undefined) this.shell.kill('SIGKILL');
  }
}

/** The end of the logs the tutorial's processes write, to say why a step failed. */
function logTails(work: string): string {
  return ['logic-ha.log', 'db1/error.log', 'db2/error.log']
    .filter((name) => existsSync(join(work, name)))
    .map(
      (name) =>
        `--- $WORK/${name}, last lines ---\n${readFileSync(join(work, name), 'utf8').trimEnd().split('\n').slice(-15).join('\n')}`,
    )
    .join('\n');
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
 * One run of tutorial blocks in a terminal of its own: the tutorial's first step pointed at
 * free loopback ports (never 3306) and a temporary folder, one `it` per block in order, the
 * output of each compared with its "You should see" block; afterwards whatever the blocks
 * left running is killed and the folder removed.
 */
function tutorialRun(blocks: Block[]) {
  const root = mkdtempSync(join(tmpdir(), 'logic-ha-tutorial-'));
  const work = join(root, 'work');
  const runDir = join(root, 'run');
  const home = join(root, 'home');
  /** The tutorial's default port -> this run's port, for the expected outputs. */
  const ports = new Map<string, string>();
  const pids = new Set<number>();
  const scripts = blocks.map((block) => block.script);
  let terminal: Terminal;
  let failedAt: number | null = null;

  beforeAll(async () => {
    mkdirSync(runDir);
    mkdirSync(home);
    const defaults = assignments(scripts[0]);
    const [db1, db2, app] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
    if (new Set([db1, db2, app]).size !== 3) throw new Error('the kernel handed out the same port twice');
    for (const port of [db1, db2, app])
      if (port === SYSTEM_MARIADB_PORT || port === 6379) throw new Error(`refusing port ${port}`);
    const overrides: Record<string, string> = {
      WORK: work,
      DB1_PORT: String(db1),
      DB2_PORT: String(db2),
      LOGIC_HA_PORT: String(app),
    };
    for (const name of ['DB1_PORT', 'DB2_PORT', 'LOGIC_HA_PORT']) ports.set(defaults.get(name)!, overrides[name]);
    for (const [name, value] of Object.entries(overrides)) {
      const line = new RegExp(`^${name}=.*$`, 'm');
      if (!line.test(scripts[0])) throw new Error(`the tutorial's first step no longer sets ${name}`);
      scripts[0] = scripts[0].replace(line, `${name}='${value}'`);
    }
    terminal = new Terminal(runDir, {
      PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:${dirname(findMariaDbBinary('mariadbd'))}`,
      HOME: home,
      LANG: 'C.UTF-8',
    });
  });

  afterAll(() => {
    terminal?.close();
    // Whatever the blocks left running (the whole tutorial stops everything itself at its end).
    for (const pid of pids) {
      if (!alive(pid)) continue;
      let command: string;
      try {
        command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (command.includes(work) || command.includes('dist/src/main.js')) process.kill(pid, 'SIGKILL');
    }
    rmSync(root, { recursive: true, force: true });
  });

  blocks.forEach((block, index) => {
    const title = block.script.split('\n').find((line) => line.trim() && !line.startsWith('#')) ?? '';
    it(
      `step ${index + 1} (line ${block.line}): ${title.slice(0, 80)}`,
      async () => {
        if (failedAt !== null)
          throw new Error(`not run: the step at line ${failedAt} failed, and every later step depends on it`);
        try {
          const output = await terminal.run(scripts[index]);
          for (const name of ['db1/mariadb.pid', 'db2/mariadb.pid', 'logic-ha.pid']) {
            const file = join(work, name);
            if (existsSync(file)) pids.add(Number(readFileSync(file, 'utf8').trim()));
          }
          if (block.expected) expectOutput(block, output, ports);
        } catch (error) {
          failedAt = block.line;
          throw new Error(`${(error as Error).message}\n${logTails(work)}`, { cause: error });
        }
      },
      STEP_TIMEOUT_MS + 10_000,
    );
  });

  return { work, pids, failed: () => failedAt !== null };
}

const BLOCKS = parseTutorial(readFileSync(TUTORIAL, 'utf8'));
const MAIN = BLOCKS.filter((block) => !block.notRun && !block.alternative);

/**
 * docs/deploy-mariadb.md, run as a reader runs it: every ```bash block in order, in one
 * bash (errexit, nounset, pipefail), from the repository root. The tutorial starts its own
 * mariadbd and logic-ha processes, switches over, kills the primary, restarts it, takes it
 * back as a standby, and cleans up.
 */
describe('docs/deploy-mariadb.md, every command in order', () => {
  it('has runnable steps, few blocks it cannot run (each saying why), and the settings this test overrides', () => {
    expect(MAIN.length).toBeGreaterThan(20);
    const notRun = BLOCKS.filter((block) => block.notRun);
    expect(notRun.length).toBeLessThanOrEqual(MAX_NOT_RUN);
    for (const block of notRun) expect(block.notRun!.length).toBeGreaterThan(20);
    // A new setting (a port, a folder) must be known here, so the test never runs on the machine's own.
    expect([...assignments(MAIN[0].script).keys()].sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  const run = tutorialRun(MAIN);

  it('leaves nothing behind: its clean-up step stopped every process it started and removed its folder', async () => {
    expect(run.failed()).toBe(false);
    expect(run.pids.size).toBeGreaterThanOrEqual(3);
    const deadline = Date.now() + 15_000;
    while ([...run.pids].some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect([...run.pids].filter(alive)).toEqual([]);
    expect(existsSync(run.work)).toBe(false);
  });
});

/**
 * Step 5's alternative, docker/mariadb/replica-init.sh outside Docker, on servers of its
 * own: the tutorial's blocks up to the accounts, the alternative in place of the
 * CHANGE MASTER block, then step 5's replication check.
 */
describe('docs/deploy-mariadb.md, step 5 with docker/mariadb/replica-init.sh', () => {
  const alternatives = BLOCKS.filter((block) => block.alternative);
  const replaced = alternatives.length === 1 ? BLOCKS.indexOf(alternatives[0]) - 1 : -1;
  const check = BLOCKS.slice(replaced + 2).find((block) => !block.notRun && !block.alternative);

  it('is the one alternative, right after the CHANGE MASTER block, followed by the replication check', () => {
    expect(alternatives).toHaveLength(1);
    expect(BLOCKS[replaced].script).toMatch(/CHANGE MASTER TO/);
    expect(alternatives[0].script).toMatch(/docker\/mariadb\/replica-init\.sh/);
    expect(check?.script).toMatch(/MASTER_GTID_WAIT/);
  });

  const blocks =
    replaced > 0 && check
      ? [...BLOCKS.slice(0, replaced).filter((block) => !block.notRun), alternatives[0], check]
      : [];
  tutorialRun(blocks);
});
