import { type CommandRequest, type CommandResult, CommandRunner } from './command-runner';

/** A CommandRunner that runs nothing: it records each request and answers the next scripted result (default: exit 0). */
export class FakeCommandRunner extends CommandRunner {
  readonly requests: CommandRequest[] = [];
  private readonly answers: Partial<CommandResult>[] = [];
  /** Each run waits for this before answering (a hook that takes its time). */
  gate: Promise<void> = Promise.resolve();

  answer(...results: Partial<CommandResult>[]): this {
    this.answers.push(...results);
    return this;
  }

  async run(request: CommandRequest): Promise<CommandResult> {
    this.requests.push(request);
    await this.gate;
    const answer = this.answers.shift() ?? {};
    for (const line of (answer.outputTail ?? '').split('\n').filter(Boolean)) request.onLine?.('stdout', line);
    return { exitCode: 0, signal: null, timedOut: false, startError: null, outputTail: '', durationMs: 5, ...answer };
  }

  /** The event a run was given on stdin. */
  event(index: number): Record<string, unknown> {
    return JSON.parse(this.requests[index].stdin) as Record<string, unknown>;
  }
}
