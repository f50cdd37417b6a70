import type { DataSource } from 'typeorm';
import { serverUtcOffsetMinutes, timeZoneWarning } from './server-time-zone';

describe('server time zone', () => {
  it('asks a MariaDB/MySQL server its offset from UTC', async () => {
    const query = jest.fn(async () => [{ offsetMinutes: '480' }]);
    const dataSource = { options: { type: 'mysql' }, query } as unknown as DataSource;
    expect(await serverUtcOffsetMinutes(dataSource)).toBe(480);
    expect(query).toHaveBeenCalledWith(expect.stringContaining('UTC_TIMESTAMP()'));
  });

  it('does not ask SQLite, whose CURRENT_TIMESTAMP is UTC', async () => {
    const query = jest.fn();
    expect(
      await serverUtcOffsetMinutes({ options: { type: 'better-sqlite3' }, query } as unknown as DataSource),
    ).toBeNull();
    expect(query).not.toHaveBeenCalled();
  });

  it.each([
    [0, null],
    [null, null],
    [
      480,
      "the database server's time zone is UTC+8: rows logic-solution runtimes insert take their times from column defaults in that zone, while logic-ha writes UTC, so the two disagree by 8 h. Run the server in UTC (default-time-zone='+00:00')",
    ],
    [-330, expect.stringContaining('UTC-5.5: ')],
  ])('offset %p warns %p', (offset, warning) => {
    expect(timeZoneWarning(offset)).toEqual(warning);
  });
});
