import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { LogicConfig, isConfigObject } from '../config-answer';
import { LogicBakEntity } from '../entities/logic-bak.entity';
import { LogicEntity } from '../entities/logic.entity';
import { BreakerState, ConfigHost, ConfigHostError, HostConfig } from './config-host';

/** A stored config as its row has it: the JSON text unchanged, and the row's version. */
export interface StoredConfig {
  json: string;
  version: string | null;
}

/**
 * This node's own database as the host: latest from `logic`, a version from `logic_bak`
 * (the newest row when a version was published twice). Also what the compatible host
 * API serves to runtimes and to other logic-ha nodes.
 */
@Injectable()
export class DatabaseConfigHost extends ConfigHost {
  readonly source = 'db' as const;
  readonly description = 'database';

  constructor(
    @InjectRepository(LogicEntity) private readonly logics: Repository<LogicEntity>,
    @InjectRepository(LogicBakEntity) private readonly versions: Repository<LogicBakEntity>,
  ) {
    super();
  }

  breakerState(): BreakerState {
    return 'none';
  }

  async fetch(logicId: string, version?: string): Promise<HostConfig | null> {
    let stored: StoredConfig | null;
    try {
      stored = await this.stored(logicId, version);
    } catch (error) {
      // A database that cannot answer is a host that cannot answer: the file tier takes over.
      throw new ConfigHostError(
        'unreachable',
        `the database could not be read: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return stored ? { config: parseStoredConfig(stored.json, logicId), version: stored.version } : null;
  }

  /** Every version of a logic in `logic_bak`, for evicting them from the cache. */
  async knownVersions(logicId: string): Promise<string[]> {
    const rows = await this.versions.find({ select: { version: true }, where: { id: logicId } });
    return [...new Set(rows.map((row) => row.version).filter((v): v is string => !!v))];
  }

  /** The stored JSON text itself, for serving it unchanged, with its row's version. */
  async stored(logicId: string, version?: string): Promise<StoredConfig | null> {
    const row = version
      ? await this.versions.findOne({ where: { id: logicId, version }, order: { updateTime: 'DESC' } })
      : await this.logics.findOneBy({ id: logicId });
    return row?.configJson ? { json: row.configJson, version: row.version ?? null } : null;
  }
}

function parseStoredConfig(json: string, logicId: string): LogicConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigHostError('invalid-json', `the stored config of ${logicId} is not valid JSON`);
  }
  if (!isConfigObject(parsed))
    throw new ConfigHostError('invalid-answer', `the stored config of ${logicId} is not an object`);
  return parsed;
}
