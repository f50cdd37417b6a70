/**
 * TEST ONLY. `FAILOVER_TEST_CRASH_AFTER_STEP=<step>` makes the process kill itself with
 * SIGKILL right after that failover step succeeded, so the "interrupted failover" test can
 * stop logic-ha exactly between two steps (a kill -9 from outside cannot be aimed that
 * precisely). Unset (always, outside that test), this does nothing. It is read from the
 * environment directly, not through AppConfig, on purpose: it is no setting for operators
 * (docs/reference/configuration.md, "Test-only variables").
 */
export const CRASH_AFTER_STEP_VARIABLE = 'FAILOVER_TEST_CRASH_AFTER_STEP';

export function crashAfterStepForTests(step: string): void {
  const target = process.env[CRASH_AFTER_STEP_VARIABLE];
  if (!target || target !== step) return;
  // Written synchronously so the test can see where it stopped; then nothing else runs.
  process.stderr.write(`${CRASH_AFTER_STEP_VARIABLE}: killing this process after step ${step}\n`);
  process.kill(process.pid, 'SIGKILL');
}
