/** Where an answer came from: the cache, the upstream host, this node's database, or the local file. */
export type ConfigSource = 'cache' | 'host' | 'db' | 'file';
export type ConfigMode = 'online' | 'offline';

export type LogicConfig = Record<string, unknown>;

export interface ConfigAnswer {
  logicId: string;
  /** The config's own version when it names one, else the version the host recorded (the published one), else the version asked for. */
  version: string | null;
  source: ConfigSource;
  /** True when the host could not be asked and the last known good file answered. */
  stale: boolean;
  /** When this config was fetched from its origin (host, database or file). */
  fetchedAt: string;
  config: LogicConfig;
}

/**
 * The contract's normalisation before caching: `id` is the logicId and `visualConfig`
 * (the editor's layout, useless to a runtime) is dropped. Returns a new object.
 */
export function normaliseConfig(logicId: string, config: LogicConfig): LogicConfig {
  const { visualConfig: _dropped, ...rest } = config;
  return { ...rest, id: logicId };
}

export function isConfigObject(value: unknown): value is LogicConfig {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function versionOf(config: LogicConfig, asked: string | undefined): string | null {
  return typeof config.version === 'string' ? config.version : (asked ?? null);
}
