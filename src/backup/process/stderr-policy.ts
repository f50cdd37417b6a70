/**
 * stderr lines that are known to be harmless. Anything else that says warning or error
 * fails the run: mariadb-binlog's "does not have the STMT_END_F flag set", for example,
 * exits 0 and means the output ends in the middle of a transaction.
 */
const HARMLESS = [/Using a password on the command line interface can be insecure/i, /Deprecated program name/i];
const ALARMING = /\b(warning|error|fatal|failed|cannot|can't|could not|unable)\b/i;

export function fatalStderrLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && ALARMING.test(line) && !HARMLESS.some((pattern) => pattern.test(line)));
}
