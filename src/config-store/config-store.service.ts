import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { CachedConfig, ConfigCache, cacheKey } from './cache/config-cache';
import { ConfigAnswer, ConfigMode, LogicConfig, normaliseConfig, versionOf } from './config-answer';
import { ConfigStoreErrorCode, configNotFound } from './config-store.errors';
import { ConfigStoreMetrics } from './config-store.metrics';
import { ConfigFileStore } from './file/config-file.store';
import { ConfigHost, ConfigHostError, HostConfig } from './host/config-host';
import { HostReachability } from './host-reachability';
import { assertLogicId } from './logic-id';

/**
 * logic-solution's config store, with a fallback that really exists:
 * - online: cache -> host (upstream or this node's database) -> written through to the
 *   file; when the host fails, the last known good file answers, marked stale;
 * - offline: cache -> file -> 404.
 */
@Injectable()
export class ConfigStoreService {
  private readonly logger = new Logger('ConfigStore');

  constructor(
    private readonly config: AppConfig,
    private readonly cache: ConfigCache,
    private readonly host: ConfigHost,
    private readonly files: ConfigFileStore,
    private readonly reachability: HostReachability,
    private readonly clock: Clock,
    private readonly metrics: ConfigStoreMetrics,
  ) {}

  async readLogicConfig(
    logicId: string,
    version?: string,
    mode: ConfigMode = this.config.configStore.mode,
  ): Promise<ConfigAnswer> {
    assertLogicId(logicId);
    const key = cacheKey(logicId, version, mode);
    const cached = await this.readFromCache(key);
    if (cached) return { ...answerOf(cached), source: 'cache', stale: false };
    return mode === 'offline' ? this.readOffline(logicId, key) : this.readOnline(logicId, version, key);
  }

  /** The cached answer of a read, or undefined on a miss (which is not counted: the full read will count it). */
  async readCachedAnswer(
    logicId: string,
    version?: string,
    mode: ConfigMode = this.config.configStore.mode,
  ): Promise<ConfigAnswer | undefined> {
    const cached = await this.cache.get(cacheKey(logicId, version, mode), { countMiss: false });
    return cached && { ...answerOf(cached), source: 'cache', stale: false };
  }

  readFromCache(key: string): Promise<CachedConfig | undefined> {
    return this.cache.get(key);
  }

  /** The host's config, normalised, with the version it recorded; null when the host has none. Host failures throw ConfigHostError. */
  async readLogicConfigFromHost(logicId: string, version?: string): Promise<HostConfig | null> {
    assertLogicId(logicId);
    const found = await this.host.fetch(logicId, version);
    return found && { config: normaliseConfig(logicId, found.config), version: found.version };
  }

  /** The verified file's config; undefined without a file; a damaged file throws CONFIG_FILE_CORRUPT. */
  async readLogicConfigFromFile(
    logicId: string,
  ): Promise<{ version: string | null; savedAt: string; config: LogicConfig } | undefined> {
    const envelope = await this.files.read(logicId);
    return envelope && { version: envelope.version, savedAt: envelope.savedAt, config: envelope.config };
  }

  async saveLogicConfigToFile(
    logicId: string,
    config: LogicConfig,
    version?: string,
  ): Promise<{ path: string; savedAt: string }> {
    const normalised = normaliseConfig(logicId, config);
    const envelope = await this.files.save(logicId, versionOf(normalised, version), normalised);
    await this.cache.remove([cacheKey(logicId, undefined, 'offline')]);
    return { path: this.files.pathOf(logicId), savedAt: envelope.savedAt };
  }

  /** Evicts a logic's entries: latest, offline and every version the database knows (none when it cannot be read). */
  async evictLogic(logicId: string, knownVersions: () => Promise<string[]>): Promise<string[]> {
    assertLogicId(logicId);
    const versions = await knownVersions().catch(() => [] as string[]);
    return this.cache.evictLogic(logicId, versions);
  }

  getOfflineLogicIds(): Promise<string[]> {
    return this.files.logicIds();
  }

  private async readOffline(logicId: string, key: string): Promise<ConfigAnswer> {
    const file = await this.readLogicConfigFromFile(logicId);
    if (!file) throw configNotFound(logicId, `in offline mode: no file ${this.files.pathOf(logicId)}`);
    const entry: CachedConfig = {
      logicId,
      version: file.version,
      origin: 'file',
      fetchedAt: file.savedAt,
      config: file.config,
    };
    await this.cache.set(key, entry);
    return { ...answerOf(entry), source: 'file', stale: false };
  }

  private async readOnline(logicId: string, version: string | undefined, key: string): Promise<ConfigAnswer> {
    let found: HostConfig | null;
    try {
      found = await this.readLogicConfigFromHost(logicId, version);
    } catch (error) {
      if (!(error instanceof ConfigHostError)) throw error;
      this.reachability.failed(this.host.description, error);
      this.metrics.hostFailed(error.failure);
      return this.fallBackToFile(logicId, version, error);
    }
    this.reachability.succeeded(this.host.description);
    if (!found)
      throw configNotFound(
        logicId,
        `${version ? `version "${version}" ` : ''}on ${this.host.description} (online mode)`,
      );
    const entry: CachedConfig = {
      logicId,
      // A latest read asks for no version: the host's record says which one it got.
      version: versionOf(found.config, found.version ?? version),
      origin: this.host.source,
      fetchedAt: this.clock.now().toISOString(),
      config: found.config,
    };
    await this.cache.set(key, entry);
    if (version === undefined) await this.writeThrough(logicId, entry);
    return { ...answerOf(entry), source: this.host.source, stale: false };
  }

  /** A failed write-through must not fail the read it follows: the host did answer. */
  private async writeThrough(logicId: string, entry: CachedConfig): Promise<void> {
    try {
      await this.files.save(logicId, entry.version, entry.config);
    } catch (error) {
      this.logger.error({ msg: 'could not write the config through to its file', logicId, err: String(error) });
    }
  }

  private async fallBackToFile(
    logicId: string,
    version: string | undefined,
    hostError: ConfigHostError,
  ): Promise<ConfigAnswer> {
    const file = await this.readLogicConfigFromFile(logicId);
    const served = file !== undefined && (version === undefined || file.version === version);
    this.metrics.fellBackToFile(served);
    if (served) {
      return {
        logicId,
        version: file.version,
        source: 'file',
        stale: true,
        fetchedAt: file.savedAt,
        config: file.config,
      };
    }
    const missing = file
      ? `the local file holds version "${file.version}", not "${version}"`
      : 'there is no local file';
    throw new DomainError(
      ConfigStoreErrorCode.HostUnavailable,
      ErrorKind.Unavailable,
      `Config host ${this.host.description} failed (${hostError.failure}: ${hostError.message}) and ${missing} for logicId "${logicId}"`,
      { details: { failure: hostError.failure, status: hostError.status }, retryAfterSeconds: 5 },
    );
  }
}

function answerOf(entry: CachedConfig): Omit<ConfigAnswer, 'source' | 'stale'> {
  return { logicId: entry.logicId, version: entry.version, fetchedAt: entry.fetchedAt, config: entry.config };
}
