import type { FailoverControl } from '../database/topology/topology-state';

/** Why an automatic failover may not run now, or null when it may. */
export function automaticFailoverBlocked(control: FailoverControl, now: Date, cooldownMs: number): string | null {
  if (control.maintenance)
    return `maintenance mode${control.maintenanceReason ? ` (${control.maintenanceReason})` : ''}`;
  if (control.disabledReason)
    return `disabled after a failed failover: ${control.disabledReason}; POST /api/v1/failover/ack after checking`;
  const until = cooldownEndsAt(control, cooldownMs);
  if (until && until > now)
    return `cooldown after the last change until ${until.toISOString()}; POST /api/v1/failover/ack to allow`;
  return null;
}

/** When the cooldown ends; null when there is none (never changed, or acknowledged). */
export function cooldownEndsAt(control: FailoverControl, cooldownMs: number): Date | null {
  if (!control.lastChangeAt || control.acknowledged) return null;
  return new Date(Date.parse(control.lastChangeAt) + cooldownMs);
}
