import { Logger } from '@nestjs/common';
import { FakeClock } from '../../../test/support/fake-clock';
import { InMemoryTopologyFile, RecordingEventBus, replicatedConfig } from '../../../test/support/failover-fakes';
import { FakeServerProbe, replicaStatus } from '../../../test/support/fake-server-probe';
import { DatabaseTopology } from '../../database/topology/database-topology';
import { ReplicaConfigurer } from './replica-configurer';

const P = '127.0.0.1:1';
const S = '127.0.0.1:2';

async function world(configureReplicas = true) {
  const clock = new FakeClock(new Date('2026-11-29T22:00:00Z'));
  const config = replicatedConfig(1, { configureReplicas });
  const topology = new DatabaseTopology(config, new InMemoryTopologyFile().asStore(), clock);
  await topology.ready();
  const probe = new FakeServerProbe().add(P).add(S, { readOnly: true, replica: replicaStatus() });
  // Set up right: the standby acknowledges and is no semi-sync master itself.
  probe.server(S).settings.semiSyncMasterEnabled = false;
  const events = new RecordingEventBus();
  const configurer = new ReplicaConfigurer(config, topology, probe, events.asBus(), clock);
  // Each pass 5 s after the last: the configurer checks a primary's servers at most that often.
  const pass = () => {
    clock.advance(5000);
    return configurer.configure({ primary: P, standbys: [{ key: S, status: probe.server(S).replica }] });
  };
  const configured = () => events.emitted.filter((e) => e.name === 'db.replica-configured').map((e) => e.payload);
  return { probe, configurer, pass, configured, clock };
}

describe('ReplicaConfigurer (FAILOVER_CONFIGURE_REPLICAS)', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('turns the semi-sync master role off on a standby (a demoted primary), so what it applies never waits', async () => {
    const { probe, pass, configured } = await world();
    probe.server(S).settings.semiSyncMasterEnabled = true;
    await pass();
    expect(probe.calls).toEqual([`${S} setSemiSync:master=false`]);
    expect(configured()).toEqual([
      { server: S, changes: ['rpl_semi_sync_master_enabled ON -> OFF (a standby acknowledges, it does not wait)'] },
    ]);
  });

  it('changes nothing on servers set up right', async () => {
    const { probe, pass, configured } = await world();
    await pass();
    expect(probe.calls).toEqual([]);
    expect(configured()).toEqual([]);
  });

  it('fixes a standby with no heartbeat period, read_only off and semi-sync off, and the primary, reporting each', async () => {
    const { probe, pass, configured, configurer } = await world();
    const standby = probe.server(S);
    standby.readOnly = false;
    standby.replica!.heartbeatPeriodSeconds = 0;
    standby.settings = { semiSyncMasterEnabled: false, semiSyncSlaveEnabled: false, semiSyncSlaveActive: false };
    probe.server(P).settings.semiSyncMasterEnabled = false;
    await pass();
    expect(probe.calls).toEqual([
      `${S} setReadOnly:true`,
      `${S} setSemiSync:slave=true`,
      `${S} setHeartbeatPeriod:1`,
      `${P} setSemiSync:master=true`,
    ]);
    expect(configured()).toEqual([
      {
        server: S,
        changes: [
          'read_only OFF -> ON',
          'rpl_semi_sync_slave_enabled OFF -> ON',
          'MASTER_HEARTBEAT_PERIOD 0 -> 1 s (replication restarted)',
        ],
      },
      { server: P, changes: ['rpl_semi_sync_master_enabled OFF -> ON'] },
    ]);
    expect(configurer.view().recentChanges).toHaveLength(2);
    probe.calls.length = 0;
    await pass();
    expect(probe.calls).toEqual([]);
  });

  it('sets a period short enough for the detection window, and reconnects an IO thread that does not acknowledge', async () => {
    const { probe, pass } = await world();
    probe.server(S).replica!.heartbeatPeriodSeconds = 30;
    await pass();
    expect(probe.calls).toEqual([`${S} setHeartbeatPeriod:1`]);
    probe.calls.length = 0;
    probe.server(S).settings.semiSyncSlaveActive = false;
    await pass();
    expect(probe.calls).toEqual([`${S} restartReplicaIo`]);
  });

  it('does not reconnect again and again when that does not help', async () => {
    const { probe, pass, clock } = await world();
    const stuck = () => (probe.server(S).settings.semiSyncSlaveActive = false);
    stuck();
    await pass();
    stuck();
    await pass();
    expect(probe.calls.filter((c) => c.includes('restartReplicaIo'))).toHaveLength(1);
    clock.advance(55_000);
    await pass();
    expect(probe.calls.filter((c) => c.includes('restartReplicaIo'))).toHaveLength(2);
  });

  it('leaves a standby an operator stopped alone, and the primary when nothing replicates', async () => {
    const { probe, pass } = await world();
    probe.server(S).replica!.ioRunning = 'No';
    probe.server(S).readOnly = false;
    probe.server(P).settings.semiSyncMasterEnabled = false;
    await pass();
    expect(probe.calls).toEqual([]);
  });

  it('keeps a failure for the status, logged once, and does nothing when turned off', async () => {
    const { probe, pass, configurer } = await world();
    probe.server(S).readOnly = false;
    probe.failing.add('setReadOnly');
    await pass();
    expect(configurer.view().failures).toEqual([{ server: S, error: `setReadOnly failed on ${S}` }]);
    const off = await world(false);
    off.probe.server(S).readOnly = false;
    await off.pass();
    expect(off.probe.calls).toEqual([]);
  });

  it('checks the servers of one primary at most every 5 s, and a new primary at once', async () => {
    const { probe, configurer } = await world();
    const round = (primary: string) =>
      configurer.configure({ primary, standbys: [{ key: S, status: probe.server(S).replica }] });
    await round(P);
    probe.server(S).readOnly = false;
    await round(P);
    expect(probe.calls).toEqual([]);
    probe.server(S).readOnly = false;
    await round('127.0.0.1:9');
    expect(probe.calls).toEqual([`${S} setReadOnly:true`]);
  });
});
