import { type ChildProcess, spawn } from 'node:child_process';
import { type CommandRequest, type CommandResult, CommandRunner } from './command-runner';
import { OutputCollector } from './output-collector';

/** Between SIGTERM and SIGKILL: time for a script's trap to clean up. */
export const KILL_GRACE_MS = 2000;
/** After the shell exits, how long its output may take to arrive before the pipes are let go. */
const DRAIN_MS = 200;
/** How often a SIGTERM'd group is checked for survivors during the grace. */
const GROUP_POLL_MS = 50;

/**
 * Runs a command line with /bin/sh -c in its own process group (detached), so that at the
 * timeout the whole group is signalled: a hook's own children (curl, sleep, a pipeline)
 * die with it. SIGTERM first, SIGKILL after `killGraceMs` to whatever is left of the group,
 * even when the shell itself has gone (its children may ignore SIGTERM).
 *
 * The run ends when the shell exits: a background child the script left behind keeps
 * running, but no longer holds the run (its pipes are closed after a short drain).
 */
export class ShellCommandRunner extends CommandRunner {
  constructor(private readonly killGraceMs = KILL_GRACE_MS) {
    super();
  }

  run(request: CommandRequest): Promise<CommandResult> {
    const started = performance.now();
    const output = new OutputCollector(request.onLine);
    let timedOut = false;
    let startError: string | null = null;
    const child = spawn('/bin/sh', ['-c', request.command], {
      env: request.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream].setEncoding('utf8');
      child[stream].on('data', (text: string) => output.add(stream, text));
    }
    // A script that never reads its stdin closes the pipe: EPIPE is no failure of the hook.
    child.stdin.on('error', () => undefined);
    child.stdin.end(request.stdin);
    let killed: Promise<void> = Promise.resolve();
    const timer = setTimeout(() => {
      timedOut = true;
      killed = this.killGroup(child);
    }, request.timeoutMs);
    return new Promise<CommandResult>((resolve) => {
      let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        child.stdout.destroy();
        child.stderr.destroy();
        // A killed hook's run ends once its whole group is gone (or got SIGKILL), not before.
        void killed.then(() =>
          resolve({
            exitCode: exit?.code ?? null,
            signal: exit?.signal ?? null,
            timedOut,
            startError,
            outputTail: output.finish(),
            durationMs: Math.round(performance.now() - started),
          }),
        );
      };
      child.once('error', (error) => {
        startError = error.message;
        if (child.pid === undefined) finish();
      });
      child.once('exit', (code, signal) => {
        exit = { code, signal };
        const drained = setTimeout(finish, DRAIN_MS);
        child.once('close', () => {
          clearTimeout(drained);
          finish();
        });
      });
    });
  }

  /** SIGTERM to the group; SIGKILL to what is left of it after the grace. Resolves when it is gone or killed. */
  private async killGroup(child: ChildProcess): Promise<void> {
    const pid = child.pid;
    if (pid === undefined) return;
    signalGroup(pid, 'SIGTERM');
    const deadline = performance.now() + this.killGraceMs;
    while (groupAlive(pid) && performance.now() < deadline) await sleep(GROUP_POLL_MS);
    if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
  }
}

/** The group may be gone already (ESRCH): nothing left to kill. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
