import { fatalStderrLines } from './stderr-policy';

describe('fatalStderrLines', () => {
  it.each([
    [
      'WARNING: The range of printed events ends with a row event or a table map event that does not have the STMT_END_F flag set.',
      true,
    ],
    ['mariadb-dump: Error 2013: Lost connection to server during query', true],
    ['mariadb: Cannot connect', true],
    [
      "mysqldump: Deprecated program name. It will be removed in a future release, use '/usr/bin/mariadb-dump' instead",
      false,
    ],
    ['Warning: Using a password on the command line interface can be insecure.', false],
    ['-- Connecting to 127.0.0.1...', false],
    ['', false],
  ])('%j is fatal: %s', (line, fatal) => {
    expect(fatalStderrLines(line)).toEqual(fatal ? [line] : []);
  });
});
