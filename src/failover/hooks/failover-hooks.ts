import { Injectable, Logger } from '@nestjs/common';
import { messageOf } from '../../common/errors/error-message';
import { AppConfig } from '../../config/app-config';
import { CommandResult, CommandRunner, describeResult } from './command-runner';
import { HookEvent, HookName, hookEnvironment } from './hook-event';

const CONFIG_KEY = { FAILOVER_PRE_HOOK: 'pre', FAILOVER_POST_HOOK: 'post', FAILOVER_FAILED_HOOK: 'failed' } as const;

/**
 * Runs one configured hook: the event as JSON on stdin and as LOGIC_HA_* variables, a
 * minimal environment, a timeout; each line of its output is logged with the hook's name,
 * and the start and the end are logged too. It never throws.
 */
@Injectable()
export class FailoverHooks {
  private readonly logger = new Logger('FailoverHooks');

  constructor(
    private readonly config: AppConfig,
    private readonly commands: CommandRunner,
  ) {}

  get timeoutMs(): number {
    return this.config.failoverHooks.timeoutMs;
  }

  configured(hook: HookName): boolean {
    return this.command(hook) !== null;
  }

  /** null when the hook is not configured. */
  async run(hook: HookName, event: HookEvent): Promise<CommandResult | null> {
    const command = this.command(hook);
    if (command === null) return null;
    this.logger.log({ msg: 'hook started', hook, event: event.event, failoverId: event.failoverId });
    const result = await this.commands
      .run({
        command,
        stdin: `${JSON.stringify(event)}\n`,
        env: hookEnvironment(hook, event),
        timeoutMs: this.timeoutMs,
        onLine: (stream, line) => this.logger.log({ msg: 'hook output', hook, stream, line }),
      })
      .catch((error: unknown): CommandResult => ({
        exitCode: null,
        signal: null,
        timedOut: false,
        startError: messageOf(error),
        outputTail: '',
        durationMs: 0,
      }));
    const outcome = describeResult(result, this.timeoutMs);
    const fields = { hook, event: event.event, failoverId: event.failoverId, tookMs: result.durationMs };
    if (result.exitCode === 0 && !result.timedOut) this.logger.log({ msg: `hook ${outcome}`, ...fields });
    else this.logger.warn({ msg: `hook ${outcome}`, ...fields });
    return result;
  }

  private command(hook: HookName): string | null {
    return this.config.failoverHooks?.[CONFIG_KEY[hook]] ?? null;
  }
}
