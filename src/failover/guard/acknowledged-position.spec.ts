import { Logger } from '@nestjs/common';
import { FakeClock } from '../../../test/support/fake-clock';
import { RecordingEventBus } from '../../../test/support/failover-fakes';
import type { PrimaryHeartbeat } from '../probes/server-probe';
import { AcknowledgedPosition } from './acknowledged-position';

const P = '127.0.0.1:1';
const beat = (gtid: string, active: boolean, noTx?: number): PrimaryHeartbeat => ({
  gtidBinlogPosition: gtid,
  readOnly: false,
  semiSyncActive: active,
  ...(noTx === undefined ? {} : { semiSyncUnacknowledgedCommits: noTx }),
});

function tracker() {
  const events = new RecordingEventBus();
  const clock = new FakeClock(new Date('2026-11-29T22:00:00Z'));
  const acknowledged = new AcknowledgedPosition(events.asBus(), clock);
  const round = (heartbeat: PrimaryHeartbeat | null, received: string[], primary = P) =>
    acknowledged.observe({ primary, epoch: 3, heartbeat, received });
  const semiSyncEvents = () => events.emitted.filter((e) => e.name === 'db.semi-sync-changed').map((e) => e.payload);
  return { acknowledged, round, semiSyncEvents, clock };
}

describe('AcknowledgedPosition (what the zero-loss guard requires)', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('takes the primary position at its first heartbeat: what came before is not known to be acknowledged', () => {
    const { acknowledged, round } = tracker();
    round(beat('0-1-20', true, 0), ['0-1-18']);
    expect(acknowledged.requiredPosition).toBe('0-1-20');
  });

  it('with semi-sync on and every commit acknowledged, requires only what a standby received', () => {
    const { acknowledged, round } = tracker();
    round(beat('0-1-20', true, 0), ['0-1-20']);
    round(beat('0-1-40', true, 0), ['0-1-35', '0-1-38']);
    expect(acknowledged.requiredPosition).toBe('0-1-38');
  });

  it('keeps what a standby once received even after its position went back (IO thread restarted)', () => {
    const { acknowledged, round } = tracker();
    round(beat('0-1-20', true, 0), ['0-1-20']);
    round(beat('0-1-30', true, 0), ['0-1-30']);
    round(beat('0-1-30', true, 0), ['0-1-25']);
    expect(acknowledged.requiredPosition).toBe('0-1-30');
  });

  it.each([
    ['semi-sync off now', beat('0-1-50', false, 9)],
    ['a commit went through unacknowledged (no_tx grew) while status is back on', beat('0-1-50', true, 1)],
  ])('requires the whole primary position when %s', (_, heartbeat) => {
    const { acknowledged, round } = tracker();
    round(beat('0-1-20', true, 0), ['0-1-20']);
    round(heartbeat, ['0-1-22']);
    expect(acknowledged.requiredPosition).toBe('0-1-50');
    expect(acknowledged.lastAsyncReason).toMatch(/primary at 0-1-50/);
  });

  it('requires the primary position at the heartbeat after semi-sync came back too', () => {
    const { acknowledged, round } = tracker();
    round(beat('0-1-20', false, 5), ['0-1-20']);
    round(beat('0-1-30', true, 5), ['0-1-30']);
    round(beat('0-1-60', true, 5), ['0-1-55']);
    expect(acknowledged.requiredPosition).toBe('0-1-55');
  });

  it('learns nothing from a missed heartbeat, but still from the standbys', () => {
    const { acknowledged, round } = tracker();
    round(beat('0-1-20', true, 0), ['0-1-20']);
    round(null, ['0-1-24']);
    expect(acknowledged.requiredPosition).toBe('0-1-24');
  });

  it('starts over when the primary changes', () => {
    const { acknowledged, round } = tracker();
    round(beat('0-1-20', false), []);
    round(beat('0-2-21', true, 0), ['0-2-21'], '127.0.0.1:2');
    expect(acknowledged.requiredPosition).toBe('0-2-21');
    expect(acknowledged.semiSync()).toMatchObject({ primary: '127.0.0.1:2', active: true });
  });

  it('emits db.semi-sync-changed once per change, not at the first heartbeat', () => {
    const { round, semiSyncEvents, acknowledged } = tracker();
    round(beat('0-1-1', true, 0), []);
    round(beat('0-1-2', true, 0), []);
    round(beat('0-1-3', false, 1), []);
    round(beat('0-1-4', false, 2), []);
    round(null, []);
    round(beat('0-1-5', true, 2), []);
    expect(semiSyncEvents()).toEqual([
      { primary: P, epoch: 3, active: false },
      { primary: P, epoch: 3, active: true },
    ]);
    expect(acknowledged.semiSync()).toMatchObject({ active: true, unacknowledgedCommits: 2 });
  });
});
