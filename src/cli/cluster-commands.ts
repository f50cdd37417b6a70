import type { Command } from 'commander';
import { EtcdCluster } from '../cluster';
import type { AppConfig } from '../config/app-config';
import { run } from './cli-args';
import { EXIT_FAILED } from './cli-errors';
import type { CliIo, CliRuntime } from './cli-runtime';
import { withTopology } from './topology-session';

/**
 * `cluster status`: the leader, the nodes and the lease as etcd has them, read straight
 * from etcd (no node needs to answer), with the topology's epoch and primary.
 */
export function registerClusterCommands(program: Command, runtime: CliRuntime): void {
  program
    .command('cluster')
    .description('cluster mode (ETCD_ENDPOINTS): the leader and the nodes')
    .command('status')
    .description('the leader, each node (id, address, version, last seen) and the leader lease, read from etcd')
    .action(run(runtime, () => status(runtime.config(), runtime.io)));
}

async function status(config: AppConfig, io: CliIo): Promise<number> {
  if (!config.cluster) {
    io.out({ mode: 'single-node', note: 'ETCD_ENDPOINTS is not set: this node is the only one and always leads' });
    return 0;
  }
  return withTopology(config, async (topology, _file, context) => {
    const etcd = context.get(EtcdCluster);
    try {
      const leader = etcd.leadership.leader() ?? (await readLeader(etcd));
      const nodes = await etcd.registry.list();
      io.out({
        mode: 'etcd',
        endpoints: config.cluster!.endpoints,
        leader,
        leaderLeaseRemainingMs: await etcd.leaderLeaseRemainingMs(),
        leaseTtlMs: config.cluster!.leaseTtlMs,
        nodes: nodes.map((node) => ({ ...node, leader: node.nodeId === leader?.nodeId })),
        epoch: topology.epoch,
        primary: topology.primaryKey,
        topology: topology.storeDescription,
      });
      return 0;
    } catch (error) {
      io.err({ error: `etcd did not answer: ${(error as Error).message}` });
      return EXIT_FAILED;
    }
  });
}

async function readLeader(etcd: EtcdCluster) {
  const value = await etcd.client.get(etcd.keys.leader).string();
  return value ? (JSON.parse(value) as { nodeId: string; address: string; since: string }) : null;
}
