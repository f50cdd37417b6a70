import type { TopologyFile } from './topology-file';
import type { TopologyState } from './topology-state';
import { TopologyStore } from './topology-store';

/** Single-node mode: the topology file in DATA_DIR, written atomically; nobody else changes it. */
export class FileTopologyStore extends TopologyStore {
  constructor(private readonly file: TopologyFile) {
    super();
  }

  get description(): string {
    return this.file.path;
  }

  async load(): Promise<TopologyState | null> {
    return this.file.read();
  }

  save(next: TopologyState): Promise<void> {
    return this.file.write(next);
  }

  watch(): void {
    // One node, one file: no change arrives from elsewhere.
  }
}
