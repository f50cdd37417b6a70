import { mkdirSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Injectable } from '@nestjs/common';
import writeFileAtomic from 'write-file-atomic';
import { AppConfig } from '../../config/app-config';
import { TOPOLOGY_FILE_NAME, TopologyState, parseTopologyState } from './topology-state';

/** The topology state file in DATA_DIR: read once at start, replaced atomically (fsync + rename). */
@Injectable()
export class TopologyFile {
  readonly path: string;

  constructor(config: AppConfig) {
    this.path = join(config.dataDir, TOPOLOGY_FILE_NAME);
  }

  /** Synchronous: the data source's options are built from it before anything connects. */
  read(): TopologyState | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return parseTopologyState(text, this.path);
  }

  async write(state: TopologyState): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true });
    await writeFileAtomic(this.path, `${JSON.stringify(state, null, 2)}\n`, { fsync: true, mode: 0o600 });
    // write-file-atomic syncs the file, not the rename: without the directory's fsync a
    // power loss right after a failover could bring back the old primary on restart.
    const directory = await open(dirname(this.path), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}
