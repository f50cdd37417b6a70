import { join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { namingFullStorage } from '../../common/errors/storage-full';
import { Clock } from '../../common/time/clock';
import { AppConfig } from '../../config/app-config';
import { LogicConfig } from '../config-answer';
import { ConfigStoreErrorCode } from '../config-store.errors';
import { LOGIC_ID_PATTERN, assertLogicId } from '../logic-id';
import { AtomicFileWriter } from './atomic-file-writer';
import { ConfigFileEnvelope, parseEnvelope, serialiseEnvelope } from './config-file.format';

const SUFFIX = '.json';

/** The file tier: `{DATA_DIR}/configs/logics/{logicId}.json`, one last-known-good config per logic. */
@Injectable()
export class ConfigFileStore {
  private readonly logger = new Logger('ConfigFiles');
  readonly directory: string;

  constructor(
    config: AppConfig,
    private readonly files: AtomicFileWriter,
    private readonly clock: Clock,
  ) {
    this.directory = join(config.dataDir, 'configs', 'logics');
  }

  pathOf(logicId: string): string {
    assertLogicId(logicId);
    return join(this.directory, `${logicId}${SUFFIX}`);
  }

  async save(logicId: string, version: string | null, config: LogicConfig): Promise<ConfigFileEnvelope> {
    const content = serialiseEnvelope(logicId, version, config, this.clock.now());
    const path = this.pathOf(logicId);
    await namingFullStorage(path, () => this.files.write(path, content));
    return JSON.parse(content) as ConfigFileEnvelope;
  }

  /**
   * The verified file, or undefined when there is none. A damaged file is never served:
   * it is logged and reported as CONFIG_FILE_CORRUPT with the reason.
   */
  async read(logicId: string): Promise<ConfigFileEnvelope | undefined> {
    const path = this.pathOf(logicId);
    const content = await this.files.read(path);
    if (content === undefined) return undefined;
    const parsed = parseEnvelope(content, logicId);
    if (parsed.ok) return parsed.envelope;
    this.logger.error({ msg: 'config file is damaged and was not served', path, reason: parsed.reason });
    throw new DomainError(
      ConfigStoreErrorCode.FileCorrupt,
      ErrorKind.Unavailable,
      `Config file ${path} is unusable: ${parsed.reason}`,
      {
        details: { path, reason: parsed.reason },
      },
    );
  }

  /** Logic ids that have a file: the offline ids. Temp files and foreign names are skipped. */
  async logicIds(): Promise<string[]> {
    const names = await this.files.list(this.directory);
    return names
      .filter((name) => name.endsWith(SUFFIX))
      .map((name) => name.slice(0, -SUFFIX.length))
      .filter((id) => LOGIC_ID_PATTERN.test(id))
      .sort();
  }
}
