import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** What the project's lint says of each probe file (a path that only the lint test uses, and its text). */
function lint(probes: { path: string; text: string }[]): string[][] {
  const run = spawnSync(process.execPath, [join(ROOT, 'test', 'support', 'lint-probes.mjs')], {
    cwd: ROOT,
    input: JSON.stringify(probes),
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (run.status !== 0) throw new Error(`lint probe failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as string[][];
}

const importing = (what: string) =>
  `import { ${what.split('#')[1]} } from '${what.split('#')[0]}';\nexport const probe = ${what.split('#')[1]};\n`;

describe('the lint boundary rule (eslint.config.mjs)', () => {
  it("refuses imports from common/, config/ and database/ into a feature, and a feature reaching into another feature's internals", () => {
    const verdicts = lint([
      { path: 'src/database/lint-probe.ts', text: importing('../backup#BackupModule') },
      { path: 'src/common/lint-probe.ts', text: importing('../failover#FailoverModule') },
      { path: 'src/config/lint-probe.ts', text: importing('../instances/instance.service#InstanceService') },
      { path: 'src/health/lint-probe.ts', text: importing('../backup/backup.service#BackupService') },
      { path: 'src/config/lint-probe.ts', text: importing('../app.factory#createApp') },
      // Backup and failover never import each other, not even through index.ts.
      { path: 'src/failover/lint-probe.ts', text: importing('../backup#BackupReader') },
      { path: 'src/backup/lint-probe.ts', text: importing('../failover#FailoverModule') },
      // Allowed: a feature through another feature's index.ts, and anyone down to the foundations.
      { path: 'src/health/lint-probe.ts', text: importing('../backup#BackupIndicator') },
      { path: 'src/backup/lint-probe.ts', text: importing('../database/transaction-runner#TransactionRunner') },
    ]);
    const boundary = verdicts.map((rules) => rules.includes('import-x/no-restricted-paths'));
    expect(boundary).toEqual([true, true, true, true, true, true, true, false, false]);
    // The allowed probes break no other rule either, so the first seven failed for the boundary alone.
    expect(verdicts.slice(7)).toEqual([[], []]);
  }, 240_000);
});
