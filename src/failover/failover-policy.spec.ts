import type { FailoverControl } from '../database/topology/topology-state';
import { automaticFailoverBlocked, cooldownEndsAt } from './failover-policy';

const NOW = new Date('2026-11-27T12:00:00Z');
const COOLDOWN = 600_000;
const control = (overrides: Partial<FailoverControl> = {}): FailoverControl => ({
  maintenance: false,
  maintenanceReason: null,
  lastChangeAt: null,
  acknowledged: true,
  disabledReason: null,
  ...overrides,
});

describe('automaticFailoverBlocked', () => {
  it.each([
    ['never failed over', control(), null],
    ['maintenance', control({ maintenance: true, maintenanceReason: 'upgrade' }), /maintenance mode \(upgrade\)/],
    [
      'a failed failover',
      control({ disabledReason: 'apply-relay-log timed out' }),
      /disabled after a failed failover: apply-relay-log/,
    ],
    [
      'inside the cooldown',
      control({ lastChangeAt: '2026-11-27T11:55:00Z', acknowledged: false }),
      /cooldown .* until 2026-11-27T12:05:00.000Z/,
    ],
    ['after the cooldown', control({ lastChangeAt: '2026-11-27T11:40:00Z', acknowledged: false }), null],
    ['inside the cooldown, acknowledged', control({ lastChangeAt: '2026-11-27T11:55:00Z', acknowledged: true }), null],
  ])('%s', (_, value, expected) => {
    const blocked = automaticFailoverBlocked(value, NOW, COOLDOWN);
    if (expected === null) expect(blocked).toBeNull();
    else expect(blocked).toMatch(expected);
  });

  it('has no cooldown end when acknowledged or never changed', () => {
    expect(cooldownEndsAt(control(), COOLDOWN)).toBeNull();
    expect(cooldownEndsAt(control({ lastChangeAt: NOW.toISOString(), acknowledged: true }), COOLDOWN)).toBeNull();
    expect(cooldownEndsAt(control({ lastChangeAt: NOW.toISOString(), acknowledged: false }), COOLDOWN)).toEqual(
      new Date(NOW.getTime() + COOLDOWN),
    );
  });
});
