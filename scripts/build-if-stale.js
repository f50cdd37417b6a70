#!/usr/bin/env node
// Runs `nest build` when dist/ is missing or older than any source file, so `npm start`
// and the migration scripts work on a fresh clone and after a `git pull`.
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { execSync } = require('node:child_process');

const root = join(__dirname, '..');
const marker = join(root, 'dist', 'src', 'main.js');
const sources = ['src', 'migrations', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];

function newestMtime(path) {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(path).reduce((newest, entry) => Math.max(newest, newestMtime(join(path, entry))), stats.mtimeMs);
}

const builtAt = existsSync(marker) ? statSync(marker).mtimeMs : 0;
const changedAt = Math.max(...sources.map((s) => join(root, s)).filter(existsSync).map(newestMtime));
if (changedAt > builtAt) {
  process.stderr.write('logic-ha: building (dist/ is missing or stale)...\n');
  execSync('npx nest build', { cwd: root, stdio: 'inherit' });
}
