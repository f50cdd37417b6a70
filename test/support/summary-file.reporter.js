// Jest reporter: when LOGIC_HA_TEST_SUMMARY names a file, writes every suite's path,
// status and counts there, so .ci/run can prove the MariaDB suites really ran.
// Plain JavaScript because Jest loads reporters without transforming them.
const { writeFileSync } = require('node:fs');

class SummaryFileReporter {
  onRunComplete(_contexts, results) {
    const target = process.env.LOGIC_HA_TEST_SUMMARY;
    if (!target) return;
    const suites = results.testResults.map((suite) => ({
      path: suite.testFilePath,
      failed: Boolean(suite.testExecError) || suite.numFailingTests > 0,
      passed: suite.numPassingTests,
      failing: suite.numFailingTests,
      pending: suite.numPendingTests,
      todo: suite.numTodoTests,
      error: suite.testExecError ? String(suite.testExecError.message) : undefined,
    }));
    // results.success is not final yet when reporters run; .ci/run uses Jest's exit code for that.
    writeFileSync(target, JSON.stringify({ suites }, null, 2));
  }
}

module.exports = SummaryFileReporter;
