import { Leadership, type LeaderView } from './leadership';

/** Single-node mode: the only node leads, from start to stop. */
export class SingleNodeLeadership extends Leadership {
  readonly mode = 'single-node' as const;
  private readonly since = new Date().toISOString();

  constructor(
    readonly nodeId: string,
    private readonly address: string,
  ) {
    super();
  }

  isLeader(): boolean {
    return true;
  }

  leader(): LeaderView {
    return { nodeId: this.nodeId, address: this.address, since: this.since };
  }

  onLeadingChange(): void {
    // Never changes.
  }
}
