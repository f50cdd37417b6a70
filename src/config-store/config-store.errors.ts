import { DomainError, ErrorKind } from '../common/errors/domain-error';

export enum ConfigStoreErrorCode {
  NotFound = 'CONFIG_NOT_FOUND',
  HostUnavailable = 'CONFIG_HOST_UNAVAILABLE',
  FileCorrupt = 'CONFIG_FILE_CORRUPT',
  InvalidLogicId = 'INVALID_LOGIC_ID',
}

export const configNotFound = (logicId: string, detail: string) =>
  new DomainError(ConfigStoreErrorCode.NotFound, ErrorKind.NotFound, `No config for logicId "${logicId}" ${detail}`);
