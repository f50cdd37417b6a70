import { gtidPositionsEqual, gtidProgress, parseGtidPosition } from './gtid-position';

describe('GTID positions', () => {
  it.each([
    ['0-1-5', '0-1-5', true],
    ['0-1-5,1-2-9', '1-2-9, 0-1-5', true],
    ['0-1-5', '0-1-6', false],
    ['0-1-5', '0-2-5', false],
    ['0-1-5', '0-1-5,1-2-1', false],
    ['0-1-5,1-2-9', '0-1-5', false],
    ['', '', true],
  ])('%j equals %j: %s', (a, b, expected) => {
    expect(gtidPositionsEqual(a, b)).toBe(expected);
  });

  it('orders replicas of one primary by how far they got', () => {
    expect(gtidProgress('0-1-10')).toBeGreaterThan(gtidProgress('0-1-9'));
    expect(gtidProgress('')).toBe(0);
  });

  it('refuses what is not a GTID list, naming the part', () => {
    expect(() => parseGtidPosition('0-1-5,abc')).toThrow(/"abc"/);
  });
});
