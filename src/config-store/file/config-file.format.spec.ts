import { createHash } from 'node:crypto';
import { CONFIG_FILE_FORMAT, parseEnvelope, serialiseEnvelope } from './config-file.format';

const SAVED_AT = new Date('2026-06-01T12:00:00Z');
const CONFIG = { id: 'L1', version: '1.0.0', nodes: [{ id: 'n1', next: null }], retries: 3 };

describe('config file envelope', () => {
  it('reads back what it wrote', () => {
    const parsed = parseEnvelope(serialiseEnvelope('L1', '1.0.0', CONFIG, SAVED_AT), 'L1');
    expect(parsed).toEqual({
      ok: true,
      envelope: {
        format: CONFIG_FILE_FORMAT,
        logicId: 'L1',
        version: '1.0.0',
        savedAt: SAVED_AT.toISOString(),
        sha256: expect.any(String),
        config: CONFIG,
      },
    });
  });

  // Each of these was served before the checksum covered the envelope.
  it.each([
    ['its version', (file: Record<string, unknown>) => ({ ...file, version: '1.0.1' })],
    ['its version, to null', (file: Record<string, unknown>) => ({ ...file, version: null })],
    ['its savedAt', (file: Record<string, unknown>) => ({ ...file, savedAt: '2030-01-01T00:00:00.000Z' })],
    ['its format', (file: Record<string, unknown>) => ({ ...file, format: 'logic-ha/config-file@3' })],
  ])('refuses a file whose envelope had %s changed', (_what, edit) => {
    const file = JSON.parse(serialiseEnvelope('L1', '1.0.0', CONFIG, SAVED_AT)) as Record<string, unknown>;
    const parsed = parseEnvelope(JSON.stringify(edit(file)), 'L1');
    expect(parsed.ok).toBe(false);
  });

  it("refuses another logic's file given this logicId", () => {
    const file = JSON.parse(serialiseEnvelope('L2', '1.0.0', { ...CONFIG, id: 'L2' }, SAVED_AT)) as Record<
      string,
      unknown
    >;
    expect(parseEnvelope(JSON.stringify({ ...file, logicId: 'L1' }), 'L1')).toEqual({
      ok: false,
      reason: 'checksum mismatch (corrupted or edited content)',
    });
    expect(parseEnvelope(JSON.stringify(file), 'L1')).toEqual({ ok: false, reason: 'holds logicId "L2"' });
  });

  it('refuses a file of the previous format (checksum of the config alone), saying how to replace it', () => {
    const sha256 = createHash('sha256').update(JSON.stringify(CONFIG)).digest('hex');
    const legacy = {
      format: 'logic-ha/config-file@1',
      logicId: 'L1',
      version: '1.0.0',
      savedAt: SAVED_AT.toISOString(),
      sha256,
      config: CONFIG,
    };
    const parsed = parseEnvelope(JSON.stringify(legacy), 'L1');
    expect(parsed).toEqual({
      ok: false,
      reason: expect.stringMatching(/older logic-ha\/config-file@1 format.*save it again/),
    });
  });

  it('never accepts a file with any single bit flipped, anywhere', () => {
    const original = Buffer.from(serialiseEnvelope('L1', '1.0.0', CONFIG, SAVED_AT), 'utf8');
    const accepted: string[] = [];
    for (let byte = 0; byte < original.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = Buffer.from(original);
        flipped[byte] ^= 1 << bit;
        if (parseEnvelope(flipped.toString('utf8'), 'L1').ok) accepted.push(`byte ${byte} bit ${bit}`);
      }
    }
    expect(original.length * 8).toBeGreaterThan(2000);
    expect(accepted).toEqual([]);
  });
});
