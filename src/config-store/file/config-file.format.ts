import { createHash } from 'node:crypto';
import { type LogicConfig, isConfigObject } from '../config-answer';

/** Marks a file logic-ha wrote; a file without it carries no checksum and is not served. */
export const CONFIG_FILE_FORMAT = 'logic-ha/config-file@2';

/**
 * The previous format, whose sha256 covered `config` alone: its `logicId`, `version` and
 * `savedAt` could be changed without anyone noticing (a version edited with the host down
 * answered `?version=` with another version's config; another logic's file was served
 * under this logicId). Such a file is REFUSED, not migrated: migrating would mean
 * vouching for fields nothing ever checked. It heals by itself online (the next
 * successful latest read rewrites the file in the current format); offline it needs one
 * `PUT …/file`, as a file copied from logic-solution does.
 */
export const LEGACY_CONFIG_FILE_FORMAT = 'logic-ha/config-file@1';

export interface ConfigFileEnvelope {
  format: typeof CONFIG_FILE_FORMAT;
  logicId: string;
  version: string | null;
  savedAt: string;
  /** sha256 (hex) of every other field: see `checksum`. */
  sha256: string;
  config: LogicConfig;
}

export type ParsedConfigFile = { ok: true; envelope: ConfigFileEnvelope } | { ok: false; reason: string };

type CoveredFields = Omit<ConfigFileEnvelope, 'sha256'>;

/**
 * Covers everything that is served (logicId, version, savedAt as fetchedAt, config) or used
 * to choose what to serve (logicId, version), and the format. The fields are hashed as one
 * JSON array in a fixed order, so the key order and spacing of the file do not matter but
 * every value does; a field that is missing or of another type hashes differently too.
 */
export function checksum(fields: CoveredFields): string {
  const covered = [fields.format, fields.logicId, fields.version, fields.savedAt, fields.config];
  return createHash('sha256').update(JSON.stringify(covered)).digest('hex');
}

export function serialiseEnvelope(logicId: string, version: string | null, config: LogicConfig, savedAt: Date): string {
  const fields: CoveredFields = {
    format: CONFIG_FILE_FORMAT,
    logicId,
    version,
    savedAt: savedAt.toISOString(),
    config,
  };
  const envelope: ConfigFileEnvelope = { ...fields, sha256: checksum(fields) };
  return `${JSON.stringify(envelope, null, 2)}\n`;
}

/** Checks everything a damaged, edited or foreign file could get wrong; never throws. */
export function parseEnvelope(content: string, expectedLogicId: string): ParsedConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return { ok: false, reason: `not valid JSON (${content.length} bytes; truncated?)` };
  }
  if (isConfigObject(parsed) && parsed.format === LEGACY_CONFIG_FILE_FORMAT) {
    return {
      ok: false,
      reason: `written in the older ${LEGACY_CONFIG_FILE_FORMAT} format, whose checksum did not cover its logicId and version; save it again through logic-ha (an online read of the latest version does it)`,
    };
  }
  if (!isConfigObject(parsed) || parsed.format !== CONFIG_FILE_FORMAT) {
    return { ok: false, reason: `not a ${CONFIG_FILE_FORMAT} file (no checksum); save it again through logic-ha` };
  }
  const envelope = parsed as unknown as ConfigFileEnvelope;
  const shapeProblem = envelopeShapeProblem(envelope);
  if (shapeProblem) return { ok: false, reason: shapeProblem };
  if (checksum(envelope) !== envelope.sha256)
    return { ok: false, reason: 'checksum mismatch (corrupted or edited content)' };
  // Checked after the checksum: a whole, intact file of another logic put under this name.
  if (envelope.logicId !== expectedLogicId) return { ok: false, reason: `holds logicId "${envelope.logicId}"` };
  return { ok: true, envelope };
}

function envelopeShapeProblem(envelope: ConfigFileEnvelope): string | undefined {
  if (!isConfigObject(envelope.config)) return 'has no config object';
  if (typeof envelope.logicId !== 'string') return 'has no logicId';
  if (envelope.version !== null && typeof envelope.version !== 'string')
    return 'has a version that is neither a string nor null';
  if (typeof envelope.savedAt !== 'string') return 'has no savedAt';
  if (typeof envelope.sha256 !== 'string') return 'has no sha256';
  return undefined;
}
