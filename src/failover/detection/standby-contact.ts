import { type ReplicaStatus, ioConnected } from '../probes/replica-status';

/**
 * When a standby last heard from its primary. A connected IO thread alone proves little:
 * it stays "Yes" for slave_net_timeout after a primary hangs. So contact is the moment a
 * counter moved (binlog position read, heartbeats received, GTID received), as observed
 * by the monitor's polls.
 */
export class StandbyContact {
  private signature?: string;
  private lastContactAt?: number;

  observe(now: number, status: ReplicaStatus | null): void {
    if (!status || !ioConnected(status)) {
      this.signature = undefined;
      this.lastContactAt = undefined;
      return;
    }
    const signature = [
      status.readMasterLogFile,
      status.readMasterLogPosition,
      status.receivedHeartbeats,
      status.gtidIoPosition,
    ].join('|');
    // The first sight of a connected IO thread counts as contact: it connected recently or has been streaming.
    if (signature !== this.signature || this.lastContactAt === undefined) this.lastContactAt = now;
    this.signature = signature;
  }

  /** ms since the standby last heard its primary; undefined when its IO thread is not connected. */
  silenceMs(now: number): number | undefined {
    return this.lastContactAt === undefined ? undefined : now - this.lastContactAt;
  }
}
