import { Logger } from '@nestjs/common';
import { createRootLogger } from '../common/logging/root-logger';
import { PinoNestLogger } from '../common/logging/pino-nest.logger';
import type { AppConfig } from '../config/app-config';
import { SystemClock } from '../common/time/clock';
import { DatabaseTopology } from '../database/topology/database-topology';
import { TopologyFile } from '../database/topology/topology-file';
import type { CliIo } from './backup-commands';
import { EXIT_FAILED, UsageError } from './cli-errors';

/**
 * `failover status`: the topology as the state file in DATA_DIR records it (epoch,
 * primary, fenced servers, controls, the newest changes). Reads no database, so it
 * answers at 3 a.m. with every server down. Changes go through the running service's API.
 */
export async function runFailoverCommand(args: string[], config: AppConfig, io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  if (command !== 'status') throw new UsageError(`unknown command "failover ${command ?? ''}"`);
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  if (config.database.type !== 'mysql') {
    io.err({ error: 'DB_TYPE is not mysql: there is no failover topology' });
    return EXIT_FAILED;
  }
  // No Nest app here: the topology's own warnings go to stderr, stdout keeps only the result.
  Logger.overrideLogger(new PinoNestLogger(createRootLogger('warn', process.stderr)));
  const file = new TopologyFile(config);
  const topology = new DatabaseTopology(config, file, new SystemClock());
  const state = topology.state;
  io.out({
    file: file.read() ? file.path : null,
    epoch: state.epoch,
    primary: state.primary,
    servers: topology.servers().map((server) => ({ key: server.key, role: server.role })),
    control: state.control,
    history: state.history.slice(0, 5),
  });
  return 0;
}
