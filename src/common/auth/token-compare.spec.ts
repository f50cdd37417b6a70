import { bearerToken, tokensMatch } from './token-compare';

describe('tokensMatch', () => {
  it.each([
    ['same-token-value', 'same-token-value', true],
    ['same-token-value', 'same-token-valuE', false],
    ['short', 'a-much-longer-token', false],
    ['', 'x', false],
  ])('%j vs %j -> %s', (a, b, expected) => expect(tokensMatch(a, b)).toBe(expected));
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Bearer  abc  ', 'abc'],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    [undefined, undefined],
    [['Bearer first', 'Bearer second'], 'first'],
  ])('%j -> %j', (header, expected) => expect(bearerToken(header)).toBe(expected));
});
