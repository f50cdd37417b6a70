import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Runs every compiled `*.bench.js` in its own process; each prints one JSON line. */
for (const file of readdirSync(__dirname).filter((f) => f.endsWith('.bench.js')).sort()) {
  execFileSync(process.execPath, [join(__dirname, file)], { stdio: 'inherit', env: process.env });
}
