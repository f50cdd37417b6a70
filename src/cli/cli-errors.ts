/** Exit code for a command line the CLI does not understand. */
export const EXIT_USAGE = 2;
/** Exit code when the command ran and found a problem (failed backup, verify found damage). */
export const EXIT_FAILED = 1;

export class UsageError extends Error {}
