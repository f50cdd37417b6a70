import type { ServerAddress } from '../../src/failover/probes/server-probe';
import { type GtidState, RejoinProbe } from '../../src/failover/rejoin/rejoin-probe';
import type { FakeServerProbe } from './fake-server-probe';

/**
 * RejoinProbe's GTID read over a FakeServerProbe, for code that only reads GTID histories
 * (standby repair): binlogPos is the fake server's gtidBinlogPosition, binlogState the same
 * unless `states` sets it, slavePos its replica's gtidSlavePosition. Up/down follows the fake.
 */
export class FakeGtidStates extends RejoinProbe {
  /** gtid_binlog_state per server key, when it holds more than gtid_binlog_pos. */
  readonly states = new Map<string, string>();

  constructor(private readonly probe: FakeServerProbe) {
    super();
  }

  async gtidState(server: ServerAddress): Promise<GtidState> {
    const fake = this.probe.server(server.key);
    if (!fake.up) throw new Error(`connect ECONNREFUSED ${server.key}`);
    return {
      binlogPos: fake.gtidBinlogPosition,
      binlogState: this.states.get(server.key) ?? fake.gtidBinlogPosition,
      slavePos: fake.replica?.gtidSlavePosition ?? '',
    };
  }

  replicate(): Promise<void> {
    return Promise.reject(new Error('FakeGtidStates only reads GTID states'));
  }

  resetForRebuild(): Promise<void> {
    return Promise.reject(new Error('FakeGtidStates only reads GTID states'));
  }

  binlogFiles(): Promise<string[]> {
    return Promise.reject(new Error('FakeGtidStates only reads GTID states'));
  }
}
