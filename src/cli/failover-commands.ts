import type { AppConfig } from '../config/app-config';
import type { Command } from 'commander';
import { run } from './cli-args';
import { EXIT_FAILED } from './cli-errors';
import type { CliIo, CliRuntime } from './cli-runtime';
import { withTopology } from './topology-session';

/**
 * `failover status`: the topology as the state file in DATA_DIR records it (epoch,
 * primary, fenced servers, controls, the newest changes). Reads no database, so it
 * answers at 3 a.m. with every server down. Changes go through the running service's API.
 */
export function registerFailoverCommands(program: Command, runtime: CliRuntime): void {
  program
    .command('failover')
    .description('the MariaDB/MySQL topology as this node records it')
    .command('status')
    .description('the topology file: epoch, primary, fenced servers (no database needed)')
    .action(run(runtime, () => status(runtime.config(), runtime.io)));
}

async function status(config: AppConfig, io: CliIo): Promise<number> {
  if (config.database.type !== 'mysql') {
    io.err({ error: 'DB_TYPE is not mysql: there is no failover topology' });
    return EXIT_FAILED;
  }
  // No whole app here, only the topology's container; its warnings go to stderr, stdout keeps only the result.
  return withTopology(config, (topology, file) => {
    const state = topology.state;
    io.out({
      file: file.read() ? file.path : null,
      store: topology.storeDescription,
      epoch: state.epoch,
      primary: state.primary,
      servers: topology.servers().map((server) => ({ key: server.key, role: server.role })),
      control: state.control,
      history: state.history.slice(0, 5),
    });
    return 0;
  });
}
