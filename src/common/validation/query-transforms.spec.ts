import { isRealInstant, parseUtcInstant } from './query-transforms';

describe('instants from query strings', () => {
  it.each([
    ['2026-01-02T03:04:05Z', '2026-01-02T03:04:05.000Z'],
    ['2026-01-02T03:04:05+02:00', '2026-01-02T01:04:05.000Z'],
    ['2026-01-02 03:04:05', '2026-01-02T03:04:05.000Z'], // no zone: UTC, not the server's local time
    ['2026-01-02', '2026-01-02T00:00:00.000Z'],
  ])('%s -> %s', (input, expected) => {
    expect(parseUtcInstant(input).toISOString()).toBe(expected);
  });

  it.each([
    ['2026-02-30', false],
    ['2026-13-01T00:00:00Z', false],
    ['2024-02-29', true],
    ['2025-02-29', false],
    ['2026-06-01T12:00:00Z', true],
  ])('%s exists: %s', (input, expected) => {
    expect(isRealInstant(input)).toBe(expected);
  });
});
