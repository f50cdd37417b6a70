#!/usr/bin/env node
// Decrypts one file of an encrypted logic-ha backup to stdout (its gzip bytes), with nothing
// but Node (18+), the backup's manifest.json and the master keys: for the day logic-ha itself
// is gone. The format is documented in docs/backups-encryption.md; keep the two in step.
//
//   BACKUP_ENCRYPTION_KEYS='k1:BASE64...' \
//     node decrypt-backup-file.js <backup folder>/manifest.json <backup folder>/dump.sql.gz.enc | gunzip > dump.sql
//   node decrypt-backup-file.js --keys-file keys.txt manifest.json dump.sql.gz.enc > dump.sql.gz
//
// Exit 0 only when every chunk authenticated and the file's sha256 and size match the manifest.
'use strict';
const { createDecipheriv, createHash, hkdfSync } = require('node:crypto');
const { createReadStream, readFileSync } = require('node:fs');
const { basename } = require('node:path');

const MAGIC = Buffer.from('LHAENC', 'ascii');
const CIPHER = 'aes-256-gcm';
// The range logic-ha writes (src/backup/crypto/chunk-cipher.ts): anything else is a damaged manifest.
const MIN_CHUNK_BYTES = 1024;
const MAX_CHUNK_BYTES = 64 * 1024 * 1024;
const HEADER_BYTES = MAGIC.length + 1 + 16;
const TAG_BYTES = 16;

function fail(message) {
  process.stderr.write(`decrypt-backup-file: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { keysFile: process.env.BACKUP_ENCRYPTION_KEYS_FILE, name: null, positional: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--keys-file') args.keysFile = argv[++i];
    else if (argv[i] === '--name') args.name = argv[++i];
    else args.positional.push(argv[i]);
  }
  if (args.positional.length !== 2)
    fail(
      'usage: decrypt-backup-file.js [--keys-file FILE] [--name NAME] MANIFEST FILE  (or set BACKUP_ENCRYPTION_KEYS)',
    );
  return args;
}

/** `id:base64key` entries: comma-separated (env) or one a line with # comments (file). */
function readKeys(keysFile) {
  const text = keysFile ? readFileSync(keysFile, 'utf8').replace(/#.*$/gm, '') : process.env.BACKUP_ENCRYPTION_KEYS;
  if (!text) fail('no keys: set BACKUP_ENCRYPTION_KEYS or BACKUP_ENCRYPTION_KEYS_FILE, or pass --keys-file');
  const keys = new Map();
  for (const entry of text
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    keys.set(entry.slice(0, colon).trim(), Buffer.from(entry.slice(colon + 1).trim(), 'base64'));
  }
  return keys;
}

/** The manifest's encryption settings this script knows how to read; exits otherwise. */
function checkEncryption(manifest) {
  const { cipher, chunkBytes } = manifest.encryption;
  if (cipher !== CIPHER)
    fail(`backup ${manifest.id} uses cipher ${JSON.stringify(cipher)}; this script reads ${CIPHER}`);
  if (!Number.isInteger(chunkBytes) || chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES)
    fail(
      `backup ${manifest.id} has chunkBytes ${JSON.stringify(chunkBytes)}, outside ${MIN_CHUNK_BYTES}..${MAX_CHUNK_BYTES}`,
    );
}

/**
 * Bytes read but not yet decrypted, kept as the pieces read: joined only when a chunk is
 * taken, so each byte is copied once (appending to one Buffer would copy it once per read).
 */
class Pieces {
  constructor() {
    this.pieces = [];
    this.length = 0;
  }

  add(piece) {
    this.pieces.push(piece);
    this.length += piece.length;
  }

  take(count) {
    const taken = [];
    let need = count;
    while (need > 0) {
      const first = this.pieces[0];
      if (first.length <= need) {
        taken.push(this.pieces.shift());
        need -= first.length;
      } else {
        taken.push(first.subarray(0, need));
        this.pieces[0] = first.subarray(need);
        need = 0;
      }
    }
    this.length -= count;
    return taken.length === 1 ? taken[0] : Buffer.concat(taken, count);
  }
}

function unwrapDataKey(manifest, keys) {
  const { keyId, wrappedKey } = manifest.encryption;
  const master = keys.get(keyId);
  if (!master) fail(`backup ${manifest.id} is encrypted with key ${keyId}, which is not among the keys given`);
  const bytes = Buffer.from(wrappedKey, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', master, bytes.subarray(0, 12));
  decipher.setAAD(Buffer.from(`logic-ha/backup-key@1\n${manifest.id}\n${keyId}`, 'utf8'));
  decipher.setAuthTag(bytes.subarray(12, 28));
  const dataKey = decipher.update(bytes.subarray(28));
  try {
    decipher.final();
  } catch {
    fail(`cannot unwrap the data key of backup ${manifest.id} with key ${keyId}`);
  }
  return dataKey;
}

function openChunk(fileKey, index, final, sealed) {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 4);
  const aad = Buffer.alloc(9);
  aad.writeBigUInt64BE(BigInt(index), 0);
  aad[8] = final ? 1 : 0;
  const decipher = createDecipheriv('aes-256-gcm', fileKey, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    fail(`chunk ${index}${final ? ' (the last one)' : ''} failed authentication: damaged, cut short or reordered`);
  }
  return plain;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const [manifestPath, filePath] = args.positional;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const name = args.name || basename(filePath);
  const entry = (manifest.files || []).find((f) => f.name === name);
  if (!entry) fail(`${name} is not a file of backup ${manifest.id}`);
  if (!manifest.encryption) fail(`backup ${manifest.id} is not encrypted: ${name} is plain gzip already`);
  checkEncryption(manifest);
  const dataKey = unwrapDataKey(manifest, readKeys(args.keysFile));
  const sealedChunk = manifest.encryption.chunkBytes + TAG_BYTES;

  const hash = createHash('sha256');
  let size = 0;
  const buffered = new Pieces();
  let fileKey = null;
  let index = 0;
  for await (const piece of createReadStream(filePath)) {
    hash.update(piece);
    size += piece.length;
    buffered.add(piece);
    if (!fileKey && buffered.length >= HEADER_BYTES) {
      const header = buffered.take(HEADER_BYTES);
      if (!header.subarray(0, MAGIC.length).equals(MAGIC) || header[MAGIC.length] !== 1)
        fail(`${name} is not a logic-ha encrypted file of format version 1`);
      const salt = header.subarray(MAGIC.length + 1, HEADER_BYTES);
      fileKey = Buffer.from(hkdfSync('sha256', dataKey, salt, Buffer.from(`logic-ha/backup-file@1:${name}`), 32));
    }
    // A chunk is known not to be the last only when more bytes follow it.
    while (fileKey && buffered.length > sealedChunk) {
      const plain = openChunk(fileKey, index++, false, buffered.take(sealedChunk));
      if (!process.stdout.write(plain)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
  }
  if (!fileKey || buffered.length < TAG_BYTES) fail(`${name} is cut short`);
  process.stdout.write(openChunk(fileKey, index, true, buffered.take(buffered.length)));
  const sha256 = hash.digest('hex');
  if (sha256 !== entry.sha256 || size !== entry.sizeBytes)
    fail(`${name}: sha256/size (${sha256}, ${size}) differ from the manifest (${entry.sha256}, ${entry.sizeBytes})`);
}

main().catch((error) => fail(error.message));
