import type { HealthIndicatorResult } from '@nestjs/terminus';

/**
 * Bounds a health indicator: a check that hangs (a stuck NFS mount, a wedged pool) is
 * reported down after `timeoutMs` instead of hanging the probe that an orchestrator waits on.
 */
export function boundedCheck(
  key: string,
  timeoutMs: number,
  check: () => Promise<HealthIndicatorResult>,
): () => Promise<HealthIndicatorResult> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<HealthIndicatorResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ [key]: { status: 'down', message: `no answer within ${timeoutMs} ms` } }),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([check(), timeout]);
    } catch (error) {
      return { [key]: { status: 'down', message: error instanceof Error ? error.message : String(error) } };
    } finally {
      clearTimeout(timer);
    }
  };
}
