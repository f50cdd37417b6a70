export const INSTANCE_JOB_NAMES = ['long-running', 'retry', 'cleanup'] as const;
export type InstanceJobName = (typeof INSTANCE_JOB_NAMES)[number];

/** What one run of a job did, for logs, the admin route and the CLI. */
export interface JobReport {
  job: InstanceJobName;
  trigger: 'schedule' | 'manual';
  startedAt: string;
  durationMs: number;
  /** Job-specific counts, e.g. `{ found, emitted }` or `{ deleted }`. */
  counts: Record<string, number>;
}

export interface InstanceJob {
  readonly name: InstanceJobName;
  run(): Promise<Record<string, number>>;
}
