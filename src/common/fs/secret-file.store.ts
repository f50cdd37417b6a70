import { chmod, mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Injectable } from '@nestjs/common';
import { readFileIfExists } from './read-if-exists';

/** File access for secrets kept in DATA_DIR, behind an injectable so the logic can be tested with a fake. */
@Injectable()
export class SecretFileStore {
  /** The file's content, or undefined when it does not exist. */
  read(path: string): Promise<string | undefined> {
    return readFileIfExists(path);
  }

  /**
   * Creates the file with `mode` only if it does not exist yet, so two processes starting
   * together never overwrite each other's secret. Returns false when it already existed.
   */
  async createExclusive(path: string, content: string, mode: number): Promise<boolean> {
    await mkdir(dirname(path), { recursive: true });
    let handle;
    try {
      handle = await open(path, 'wx', mode);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  }

  async permissions(path: string): Promise<number> {
    return (await stat(path)).mode & 0o777;
  }

  async restrict(path: string, mode: number): Promise<void> {
    await chmod(path, mode);
  }
}
