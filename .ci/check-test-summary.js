#!/usr/bin/env node
// Reads the summary written by test/support/summary-file.reporter.js and fails when a
// suite failed, a test was skipped, or any MariaDB suite in the repository did not run
// and pass. Ends with the plain "N passed, N failed" line.
const { readFileSync } = require('node:fs');
const { execSync } = require('node:child_process');
const { resolve } = require('node:path');

const [summaryFile] = process.argv.slice(2);
const root = resolve(__dirname, '..');
const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
const problems = [];

const mariadbSuites = execSync('git ls-files', { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((file) => /mariadb/i.test(file) && /\.(e2e-)?spec\.ts$/.test(file))
  .map((file) => resolve(root, file));
if (mariadbSuites.length === 0) problems.push('no MariaDB suite found in the repository');
for (const file of mariadbSuites) {
  const suite = summary.suites.find((s) => s.path === file);
  if (!suite) problems.push(`MariaDB suite did not run: ${file}`);
  else if (suite.failed || suite.passed === 0) problems.push(`MariaDB suite did not pass: ${file} ${suite.error ?? ''}`);
}
for (const suite of summary.suites) {
  if (suite.failed) problems.push(`failed: ${suite.path} ${suite.error ?? ''}`);
  if (suite.pending > 0 || suite.todo > 0) problems.push(`skipped or todo tests in ${suite.path}`);
}

const passed = summary.suites.reduce((n, s) => n + s.passed, 0);
const failed = summary.suites.reduce((n, s) => n + s.failing, 0) + summary.suites.filter((s) => s.error).length;
if (problems.length > 0) {
  console.error(`CI check failed:\n  - ${problems.join('\n  - ')}`);
} else {
  console.log(`${mariadbSuites.length} MariaDB suites ran and passed; ${summary.suites.length} suites in all.`);
}
console.log(`tests: ${passed} passed, ${Math.max(failed, problems.length > 0 ? 1 : 0)} failed`);
process.exit(problems.length > 0 ? 1 : 0);
