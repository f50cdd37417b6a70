import { statfs } from 'node:fs/promises';
import { Injectable } from '@nestjs/common';

export interface DiskSpace {
  freeBytes: number;
  totalBytes: number;
}

/** Reads free space of the file system holding a path; injectable so tests can fake a full disk. */
@Injectable()
export class DiskSpaceProbe {
  async read(path: string): Promise<DiskSpace> {
    const stats = await statfs(path);
    return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
  }
}
