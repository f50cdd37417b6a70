import { columnHashSql, fingerprintSql, quoteIdentifier } from './table-fingerprint';

describe('fingerprintSql', () => {
  it('hashes every column in the given order, NULL-safe, and sums the row hashes modulo 2^64', () => {
    const sql = fingerprintSql('logic_ha', 'logic_instance', ['id', 'bizId', 'isOver']);
    expect(sql).toContain(
      `CONCAT_WS(',', ${columnHashSql('id')}, ${columnHashSql('bizId')}, ${columnHashSql('isOver')})`,
    );
    expect(sql).toContain('SHA2(');
    expect(sql).toContain('SUM(');
    expect(sql).toContain('MOD(COALESCE(SUM(');
    expect(sql).toContain('18446744073709551616');
    expect(sql).toContain('COUNT(*) AS `rows`');
    expect(sql).toMatch(/FROM `logic_ha`\.`logic_instance`$/);
    expect(sql).not.toContain('BIT_XOR');
  });

  it('hashes each cell on its own, NULL apart from any value, without growing it', () => {
    expect(columnHashSql('we`ird')).toBe("IF(`we``ird` IS NULL, 'N', CONCAT('v', SHA2(`we``ird`, 256)))");
  });

  it('keeps the column order it is given (ORDINAL_POSITION): another order is another hash input', () => {
    expect(fingerprintSql('d', 't', ['a', 'b'])).not.toEqual(fingerprintSql('d', 't', ['b', 'a']));
  });

  it.each([
    ['plain', 'plain', '`plain`'],
    ['a backquote', 'we`ird', '`we``ird`'],
    ['a space', 'two words', '`two words`'],
  ])('quotes an identifier with %s', (_label, name, quoted) => {
    expect(quoteIdentifier(name)).toBe(quoted);
    expect(fingerprintSql(name, name, [name])).toContain(`FROM ${quoted}.${quoted}`);
  });

  it('refuses a table without columns', () => {
    expect(() => fingerprintSql('d', 't', [])).toThrow(/no columns/);
  });
});
