import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The first of `names` found as an executable on PATH (in PATH order per name), or null. */
export function findOnPath(names: readonly string[], path = process.env.PATH ?? ''): string | null {
  const directories = path.split(delimiter).filter(Boolean);
  for (const name of names)
    for (const directory of directories) {
      const candidate = join(directory, name);
      if (isExecutable(candidate)) return candidate;
    }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
