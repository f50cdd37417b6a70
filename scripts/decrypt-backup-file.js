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
  const dataKey = unwrapDataKey(manifest, readKeys(args.keysFile));
  const sealedChunk = manifest.encryption.chunkBytes + TAG_BYTES;

  const hash = createHash('sha256');
  let size = 0;
  let buffered = Buffer.alloc(0);
  let fileKey = null;
  let index = 0;
  for await (const piece of createReadStream(filePath)) {
    hash.update(piece);
    size += piece.length;
    buffered = buffered.length === 0 ? piece : Buffer.concat([buffered, piece]);
    if (!fileKey && buffered.length >= HEADER_BYTES) {
      if (!buffered.subarray(0, MAGIC.length).equals(MAGIC) || buffered[MAGIC.length] !== 1)
        fail(`${name} is not a logic-ha encrypted file of format version 1`);
      const salt = buffered.subarray(MAGIC.length + 1, HEADER_BYTES);
      fileKey = Buffer.from(hkdfSync('sha256', dataKey, salt, Buffer.from(`logic-ha/backup-file@1:${name}`), 32));
      buffered = buffered.subarray(HEADER_BYTES);
    }
    // A chunk is known not to be the last only when more bytes follow it.
    while (fileKey && buffered.length > sealedChunk) {
      const plain = openChunk(fileKey, index++, false, buffered.subarray(0, sealedChunk));
      buffered = buffered.subarray(sealedChunk);
      if (!process.stdout.write(plain)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
  }
  if (!fileKey || buffered.length < TAG_BYTES) fail(`${name} is cut short`);
  process.stdout.write(openChunk(fileKey, index, true, buffered));
  const sha256 = hash.digest('hex');
  if (sha256 !== entry.sha256 || size !== entry.sizeBytes)
    fail(`${name}: sha256/size (${sha256}, ${size}) differ from the manifest (${entry.sha256}, ${entry.sizeBytes})`);
}

main().catch((error) => fail(error.message));
