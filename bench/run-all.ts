import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Runs every `*.bench.ts` in its own process (transpiled by ts-node); each prints one JSON line. */
const only = process.argv[2];
for (const file of readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()) {
  if (only && !file.startsWith(only)) continue;
  execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, file)], {
    stdio: 'inherit',
    env: process.env,
  });
}
