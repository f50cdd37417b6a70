import { createHash } from 'node:crypto';
import { LogicConfig, isConfigObject } from '../config-answer';

/** Marks a file logic-ha wrote; a file without it carries no checksum and is not served. */
export const CONFIG_FILE_FORMAT = 'logic-ha/config-file@1';

export interface ConfigFileEnvelope {
  format: typeof CONFIG_FILE_FORMAT;
  logicId: string;
  version: string | null;
  savedAt: string;
  /** sha256 of JSON.stringify(config), hex. */
  sha256: string;
  config: LogicConfig;
}

export type ParsedConfigFile = { ok: true; envelope: ConfigFileEnvelope } | { ok: false; reason: string };

export function checksum(config: LogicConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}

export function serialiseEnvelope(logicId: string, version: string | null, config: LogicConfig, savedAt: Date): string {
  const envelope: ConfigFileEnvelope = {
    format: CONFIG_FILE_FORMAT,
    logicId,
    version,
    savedAt: savedAt.toISOString(),
    sha256: checksum(config),
    config,
  };
  return `${JSON.stringify(envelope, null, 2)}\n`;
}

/** Checks everything a damaged or foreign file could get wrong; never throws. */
export function parseEnvelope(content: string, expectedLogicId: string): ParsedConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return { ok: false, reason: `not valid JSON (${content.length} bytes; truncated?)` };
  }
  if (!isConfigObject(parsed) || parsed.format !== CONFIG_FILE_FORMAT) {
    return { ok: false, reason: `not a ${CONFIG_FILE_FORMAT} file (no checksum); save it again through logic-ha` };
  }
  const envelope = parsed as unknown as ConfigFileEnvelope;
  if (envelope.logicId !== expectedLogicId) return { ok: false, reason: `holds logicId "${String(envelope.logicId)}"` };
  if (!isConfigObject(envelope.config)) return { ok: false, reason: 'has no config object' };
  if (checksum(envelope.config) !== envelope.sha256) return { ok: false, reason: 'checksum mismatch (corrupted content)' };
  return { ok: true, envelope };
}
