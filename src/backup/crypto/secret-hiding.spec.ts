import { inspect } from 'node:util';
import { MasterKey } from '../../config/encryption-keys';
import { ChunkDecryptor, ChunkEncryptor } from './chunk-cipher';
import { FileSeal } from './file-seal';

/** A key whose bytes are easy to spot in any rendering: hex, base64, or a Buffer's JSON. */
const dataKey = Buffer.alloc(32, 0xab);
const renderings = (value: unknown) => [JSON.stringify(value), inspect(value, { depth: 10, showHidden: true })];
const leaks = (text: string) =>
  text.includes(dataKey.toString('hex').slice(0, 16)) ||
  text.includes(dataKey.toString('base64').slice(0, 16)) ||
  text.includes('171,171,171') ||
  /\bab ab ab\b/.test(text);

describe('key bytes never print', () => {
  it('a FileSeal shows no data key in JSON or util.inspect', () => {
    const seal = new FileSeal(dataKey, 1024 * 1024);
    for (const text of renderings(seal)) expect(leaks(text)).toBe(false);
    for (const text of renderings({ seal })) expect(leaks(text)).toBe(false);
  });

  it('the chunk cipher streams show neither the data key nor the derived file key', () => {
    const encryptor = new ChunkEncryptor(dataKey, 'database.sqlite.gz.enc', 1024 * 1024);
    const decryptor = new ChunkDecryptor(dataKey, 'database.sqlite.gz.enc', 1024 * 1024);
    for (const stream of [encryptor, decryptor]) {
      expect(Object.values(stream).some((value) => Buffer.isBuffer(value) && value.length === 32)).toBe(false);
      for (const text of renderings(stream)) expect(leaks(text)).toBe(false);
    }
  });

  it('MasterKey.material() returns a copy: changing it does not change the key', () => {
    const master = new MasterKey('k1', dataKey);
    master.material().fill(0);
    expect(master.material().equals(dataKey)).toBe(true);
  });
});
