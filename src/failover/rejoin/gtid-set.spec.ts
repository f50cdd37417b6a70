import { errantRanges, formatErrant, historyOf, inRanges, parseGtidList, reaches } from './gtid-set';

describe('GTID sets for rejoin', () => {
  it('parses lists with several entries per domain and refuses garbage', () => {
    expect(parseGtidList(' 0-1-5, 0-2-9,1-3-4 ')).toEqual([
      { domain: 0, serverId: 1, sequence: 5 },
      { domain: 0, serverId: 2, sequence: 9 },
      { domain: 1, serverId: 3, sequence: 4 },
    ]);
    expect(parseGtidList('')).toEqual([]);
    expect(() => parseGtidList('0-1')).toThrow(/not a GTID/);
  });

  it('keeps the highest sequence per (domain, server) across the lists of a history', () => {
    expect(historyOf('0-1-5,0-2-9', '0-1-7', '')).toEqual(
      new Map([
        ['0-1', 7],
        ['0-2', 9],
      ]),
    );
  });

  it.each([
    // [old primary's binlog state, primary's binlog state, primary's slave pos, errant]
    ['nothing written since the failover', '0-1-100', '0-2-150', '0-1-100', ''],
    ['the primary logged it (log_slave_updates)', '0-1-100', '0-1-100,0-2-150', '', ''],
    ['one write acknowledged to nobody', '0-1-101', '0-2-150', '0-1-100', '0-1-101'],
    ['three errant writes', '0-1-103', '0-1-100,0-2-150', '', '0-1-101-103'],
    // A server the primary's history does not name (a primary rebuilt from a backup + gtid_slave_pos,
    // or recloned, keeps one entry per domain): its transactions below the primary's highest precede it.
    ['an older server the primary no longer names', '0-3-50,0-1-100', '0-1-100,0-2-150', '', ''],
    ['an unnamed server above the primary in the domain', '0-1-100,0-9-160', '0-2-150', '0-1-100', '0-9-151-160'],
    // Both wrote the same numbers after the divergence: the primary names server 1 at 100, so 0-1-101 is its own.
    ['same numbers written on both sides', '0-1-101', '0-1-100,0-2-105', '', '0-1-101'],
    ['same numbers, the old one named only by the slave pos', '0-1-101', '0-2-105', '0-1-100', '0-1-101'],
    ['an errant write in another domain', '0-1-100,1-1-7', '0-2-150', '0-1-100', '1-1-1-7'],
    ['an empty binlog holds nothing', '', '0-2-150', '', ''],
    ['a replica of the primary all along', '0-1-100,0-2-150', '0-1-100,0-2-160', '', ''],
  ])('%s', (_case, server, primaryState, primarySlavePos, errant) => {
    const ranges = errantRanges(parseGtidList(server), historyOf(primaryState, primarySlavePos));
    expect(formatErrant(ranges)).toBe(errant);
  });

  it('tells whether a GTID falls in an errant range', () => {
    const ranges = errantRanges(parseGtidList('0-1-103'), historyOf('0-1-100'));
    expect(['0-1-100', '0-1-101', '0-1-103', '0-1-104', '0-2-102'].map((g) => inRanges(g, ranges))).toEqual([
      false,
      true,
      true,
      false,
      false,
    ]);
  });

  it.each([
    ['0-2-150', '0-1-100,0-2-150', true],
    ['0-2-150', '0-2-149', false],
    ['0-2-150,1-3-4', '0-2-150', false],
    ['0-2-150', '0-1-200', false],
    // An empty position is reached by nothing: "nothing to wait for" is not "caught up".
    ['', '0-2-150', false],
  ])('position %s reached by history %s: %s', (position, history, expected) => {
    expect(reaches(historyOf(history), position)).toBe(expected);
  });
});
