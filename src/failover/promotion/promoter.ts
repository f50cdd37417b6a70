import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { FailoverErrorCode } from '../failover.errors';
import type { ServerAddress, ServerProbe } from '../probes/server-probe';
import type { StepRecorder } from './step-recorder';

/**
 * Turns a standby into the primary without losing what it received, in two halves so the
 * caller persists the decision in between: prepare() stops receiving, applies the whole
 * relay log (MASTER_GTID_WAIT on the received position, which must not be empty) and
 * forgets the old primary, still read-only; enableWrites() then accepts writes. A crash in
 * between leaves a read-only new primary that the topology file already names, never two
 * writable servers.
 */
export class Promoter {
  constructor(
    private readonly probe: ServerProbe,
    private readonly applyTimeoutMs: number,
  ) {}

  async prepare(candidate: ServerAddress, steps: StepRecorder): Promise<void> {
    await this.stopReceiving(candidate, steps);
    await this.applyAndDetach(candidate, steps);
  }

  /** The first part of prepare(), on its own for a caller that must know the IO thread was stopped. */
  async stopReceiving(candidate: ServerAddress, steps: StepRecorder): Promise<void> {
    await steps.run('stop-io-thread', () => this.probe.stopReplicaIo(candidate));
  }

  /** The rest of prepare(): the relay log applied, the old primary forgotten. */
  async applyAndDetach(candidate: ServerAddress, steps: StepRecorder): Promise<void> {
    const received = await steps.run('read-received-position', () => this.receivedPosition(candidate), {
      detail: (position) => position,
    });
    await steps.run('apply-relay-log', () => this.waitUntilApplied(candidate, received), {
      detail: () => `applied up to ${received}`,
    });
    await steps.run('detach-from-old-primary', () => this.probe.detachReplica(candidate));
  }

  async enableWrites(candidate: ServerAddress, steps: StepRecorder): Promise<void> {
    await steps.run('enable-writes', () => this.writable(candidate));
  }

  private async receivedPosition(candidate: ServerAddress): Promise<string> {
    const status = await this.probe.replicaStatus(candidate);
    const position = status?.gtidIoPosition.trim() ?? '';
    // MASTER_GTID_WAIT('') returns at once: an empty position would look like "caught up".
    if (!position) {
      throw new DomainError(
        FailoverErrorCode.PositionUnknown,
        ErrorKind.Conflict,
        `${candidate.key} reports no received GTID position; cannot prove its relay log is applied`,
      );
    }
    return position;
  }

  /** Waits until `server` has applied `position` (its relay log, or a switchover's catch-up); ApplyTimedOut after the apply timeout. */
  async waitUntilApplied(server: ServerAddress, position: string): Promise<void> {
    if (!(await this.probe.waitForApplied(server, position, this.applyTimeoutMs))) {
      throw new DomainError(
        FailoverErrorCode.ApplyTimedOut,
        ErrorKind.Unavailable,
        `${server.key} did not apply ${position} within ${this.applyTimeoutMs} ms`,
      );
    }
  }

  private async writable(candidate: ServerAddress): Promise<void> {
    await this.probe.setReadOnly(candidate, false);
    if (await this.probe.readOnly(candidate)) throw new Error(`${candidate.key} still reports read_only = ON`);
  }
}
