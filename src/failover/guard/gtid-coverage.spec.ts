import { gtidCovers, gtidMissing, gtidUnion } from './gtid-coverage';

describe('GTID coverage (zero-loss guard)', () => {
  it.each([
    ['0-1-12', '0-1-12', true],
    ['0-1-13', '0-1-12', true],
    ['0-1-11', '0-1-12', false],
    ['0-1-12', '', true],
    ['', '0-1-1', false],
    ['0-1-12,1-2-3', '1-2-3', true],
    ['0-1-12', '0-1-12,1-2-3', false],
    // The same sequence written by another server is another transaction (a diverged history).
    ['0-2-12', '0-1-12', false],
    // A later transaction in the domain: the earlier ones came before it.
    ['0-2-13', '0-1-12', true],
  ])('%j covers %j: %s', (have, need, expected) => {
    expect(gtidCovers(have, need)).toBe(expected);
  });

  it('names what is missing as ranges per domain', () => {
    expect(gtidMissing('0-1-10,1-2-3', '0-1-15,1-2-4,2-3-7')).toBe('0-1-11..15,1-2-4,2-3-7');
    expect(gtidMissing('0-1-15', '0-1-15')).toBe('');
    expect(gtidMissing('0-2-12', '0-1-12')).toBe('0-1-12');
  });

  it('unites positions per domain, keeping the further one', () => {
    expect(gtidUnion('0-1-10,1-2-3', '0-1-12', '', '2-3-1')).toBe('0-1-12,1-2-3,2-3-1');
    expect(gtidUnion()).toBe('');
  });
});
