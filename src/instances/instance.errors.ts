import { DomainError, ErrorKind } from '../common/errors/domain-error';

export enum InstanceErrorCode {
  NotFound = 'INSTANCE_NOT_FOUND',
  DeleteCriterionMissing = 'DELETE_CRITERION_MISSING',
  InvalidCursor = 'INVALID_CURSOR',
  UnknownJob = 'UNKNOWN_JOB',
}

export const instanceNotFound = (logicId: string, bizId: string) =>
  new DomainError(
    InstanceErrorCode.NotFound,
    ErrorKind.NotFound,
    `No instance for logicId "${logicId}" and bizId "${bizId}"`,
  );
