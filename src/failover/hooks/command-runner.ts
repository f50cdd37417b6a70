/** One command line to run through /bin/sh -c, fed `stdin`, in exactly `env`. */
export interface CommandRequest {
  command: string;
  stdin: string;
  /** The child's whole environment: nothing of logic-ha's own is added. */
  env: Record<string, string>;
  /** Past this the child's process group gets SIGTERM, then SIGKILL after the runner's grace. */
  timeoutMs: number;
  /** Each line of output as it comes, until the runner's bound on logged output is reached. */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
}

export interface CommandResult {
  /** null when it did not exit on its own (killed, or never started). */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Why it could not start (no /bin/sh, no fork); null when it ran. */
  startError: string | null;
  /** The end of its output, stdout and stderr interleaved as they came. */
  outputTail: string;
  durationMs: number;
}

/** Runs operator commands (failover hooks). The real one is ShellCommandRunner; tests use a fake. */
export abstract class CommandRunner {
  abstract run(request: CommandRequest): Promise<CommandResult>;
}

/** Exit 0, on its own, in time. */
export function succeeded(result: CommandResult): boolean {
  return result.exitCode === 0 && !result.timedOut && result.startError === null;
}

/** "exited with code 3", "killed at its timeout (10000 ms)", "could not start (...)". */
export function describeResult(result: CommandResult, timeoutMs: number): string {
  if (result.startError !== null) return `could not start (${result.startError})`;
  if (result.timedOut) return `did not finish within ${timeoutMs} ms and was killed`;
  if (result.signal) return `was killed by ${result.signal}`;
  return `exited with code ${result.exitCode}`;
}
