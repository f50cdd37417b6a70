export interface ConfigProblem {
  variable: string;
  reason: string;
}

/** Thrown at boot when any variable is invalid; its message lists every problem at once. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.variable}: ${p.reason}`).join('\n'),
    );
    this.name = 'ConfigValidationError';
  }
}
