import { Command } from 'commander';
import { APP_VERSION } from '../common/app-version';
import { registerBackupCommands } from './backup-commands';
import type { CliRuntime } from './cli-runtime';
import { registerClusterCommands } from './cluster-commands';
import { registerDbCommands } from './db-commands';
import { registerFailoverCommands } from './failover-commands';
import { registerInstanceCommands } from './instance-commands';
import { registerUpgradeCommands } from './upgrade-commands';

const FOOTER = `
Run "logic-ha <command> --help" (or "logic-ha help <command>") for a command's options.

Configuration comes from the same environment variables as the service; no command
needs one to print help. Results are JSON on stdout; logs and progress go to stderr.
Exit codes: 0 done, 1 failed or refused (the message says why and what to run),
2 usage error, 78 invalid configuration.`;

/**
 * The command tree. Settings made on the root before the groups are added (exit
 * override, error output, usage after an error) are inherited by every subcommand.
 */
export function buildProgram(runtime: CliRuntime): Command {
  const program = new Command('logic-ha')
    .description('High availability and disaster recovery for logic-solution: one-off operations on this node')
    .version(APP_VERSION, '-V, --version', 'print the logic-ha version')
    .helpCommand('help [command]', 'print help for a command')
    .exitOverride()
    // A usage error prints the usage of the command it is about, not the whole tree.
    .showHelpAfterError()
    .configureOutput({ outputError: (message, write) => write(`logic-ha: ${message.replace(/^error: /, '')}`) })
    .addHelpText('after', FOOTER);
  registerInstanceCommands(program, runtime);
  registerBackupCommands(program, runtime);
  registerFailoverCommands(program, runtime);
  registerClusterCommands(program, runtime);
  registerDbCommands(program, runtime);
  registerUpgradeCommands(program, runtime);
  return program;
}
