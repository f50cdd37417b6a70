import { mkdir, open, readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Injectable } from '@nestjs/common';
import writeFileAtomic from 'write-file-atomic';
import { readFileIfExists } from '../../common/fs/read-if-exists';

/**
 * File access for the config file tier, behind an injectable. Writes are atomic and
 * durable: write-file-atomic writes a uniquely named temp file, fsyncs it and renames it
 * over the target (so readers see the old or the new file, never half of one, and two
 * concurrent writers leave one complete version); then the directory is fsynced so the
 * rename itself survives a power cut.
 */
@Injectable()
export class AtomicFileWriter {
  async write(path: string, content: string): Promise<void> {
    const directory = dirname(path);
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, content, { fsync: true, mode: 0o600 });
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** The content, or undefined when the file does not exist. */
  read(path: string): Promise<string | undefined> {
    return readFileIfExists(path);
  }

  /** File names in a directory; none when it does not exist yet. */
  async list(directory: string): Promise<string[]> {
    try {
      return await readdir(directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}
