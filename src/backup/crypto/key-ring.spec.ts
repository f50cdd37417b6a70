import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { type DomainError } from '../../common/errors/domain-error';
import { MasterKey } from '../../config/encryption-keys';
import type { BackupManifest } from '../backup.types';
import { KeyRing } from './key-ring';

const ID = '20261127T020000000Z-full-abc';
const key = (id: string) => new MasterKey(id, randomBytes(32));

function manifestWith(ring: KeyRing, id = ID): BackupManifest {
  return { id, encryption: ring.newEnvelope(id).encryption } as BackupManifest;
}

function errorOf(action: () => unknown): DomainError {
  try {
    action();
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('expected an error');
}

describe('KeyRing', () => {
  const k1 = key('k1');
  const k2 = key('k2');

  it('wraps with the first key and unwraps with any key of the ring', () => {
    const manifest = manifestWith(new KeyRing('aes-256-gcm', [k1]));
    expect(manifest.encryption).toMatchObject({ cipher: 'aes-256-gcm', keyId: 'k1', chunkBytes: 1024 * 1024 });
    expect(Buffer.from(manifest.encryption!.wrappedKey, 'base64')).toHaveLength(60);
    expect(new KeyRing('none', [k2, k1]).sealOf(manifest)).not.toBeNull();
  });

  it('returns no seal for a plain backup', () => {
    expect(KeyRing.none().sealOf({ id: ID } as BackupManifest)).toBeNull();
  });

  it('names the missing key id', () => {
    const manifest = manifestWith(new KeyRing('aes-256-gcm', [k1]));
    const error = errorOf(() => new KeyRing('none', [k2]).sealOf(manifest));
    expect(error.code).toBe('BACKUP_KEY_MISSING');
    expect(error.message).toContain(`backup ${ID} is encrypted with key k1, which is not configured here (known: k2)`);
  });

  it('says it cannot unwrap with a key of the right id and other bytes', () => {
    const manifest = manifestWith(new KeyRing('aes-256-gcm', [k1]));
    const error = errorOf(() => new KeyRing('none', [key('k1')]).sealOf(manifest));
    expect(error.code).toBe('BACKUP_KEY_WRONG');
    expect(error.message).toContain(`cannot unwrap the data key of backup ${ID} with key k1`);
  });

  it('binds the wrapped key to its backup id: copied into another manifest, it does not unwrap', () => {
    const ring = new KeyRing('aes-256-gcm', [k1]);
    const copied = { ...manifestWith(ring), id: '20261127T030000000Z-full-def' } as BackupManifest;
    expect(errorOf(() => ring.sealOf(copied)).code).toBe('BACKUP_KEY_WRONG');
  });

  it('re-wraps the same data key with the first key', () => {
    const old = manifestWith(new KeyRing('aes-256-gcm', [k1]));
    const rotated = new KeyRing('aes-256-gcm', [k2, k1]);
    const rewrapped = { ...old, encryption: rotated.rewrap(ID, old.encryption!) };
    expect(rewrapped.encryption.keyId).toBe('k2');
    // Only k2 left: the re-wrapped manifest opens, the old one does not.
    const onlyK2 = new KeyRing('aes-256-gcm', [k2]);
    expect(onlyK2.sealOf(rewrapped)).not.toBeNull();
    expect(errorOf(() => onlyK2.sealOf(old)).code).toBe('BACKUP_KEY_MISSING');
  });

  it('refuses to exist encrypting without a key', () => {
    expect(() => new KeyRing('aes-256-gcm', [])).toThrow('BACKUP_ENCRYPTION=aes-256-gcm needs a key');
  });

  it('never prints key bytes', () => {
    const bytes = randomBytes(32);
    const secret = new MasterKey('k9', bytes);
    for (const shown of [JSON.stringify({ secret }), inspect({ secret }, { depth: 5 }), String(secret)]) {
      expect(shown).toContain('k9');
      expect(shown).not.toContain(bytes.toString('base64'));
      expect(shown).not.toContain(bytes.toString('hex'));
    }
  });
});
