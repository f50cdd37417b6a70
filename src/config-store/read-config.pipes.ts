import { Injectable, PipeTransform } from '@nestjs/common';
import { CommonErrorCode } from '../common/errors/common-error-code';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import type { FieldProblem } from '../common/http/validation';
import { LOGIC_ID_PATTERN, VERSION_PATTERN } from './logic-id';

/*
 * The read route is what runtimes call on every run, so its input is checked with
 * precompiled rules instead of class-transformer + class-validator (which cost it more
 * than half its throughput, see bench/RESULTS.md). The rules and the 400 are the same
 * as the DTOs': unknown fields refused, each bad field named.
 */

function invalid(problems: FieldProblem[]): DomainError {
  const message = `Invalid request: ${problems.map((p) => `${p.field}: ${p.problems.join(', ')}`).join('; ')}`;
  return new DomainError(CommonErrorCode.ValidationFailed, ErrorKind.InvalidInput, message, { details: problems });
}

const SAFE_ID = '1 to 36 characters of A-Z, a-z, 0-9, ".", "_", "-", not starting with "." or "-"';
const SAFE_VERSION = '1 to 50 characters of A-Z, a-z, 0-9, ".", "_", "-", not starting with "." or "-"';

@Injectable()
export class LogicIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value === 'string' && LOGIC_ID_PATTERN.test(value)) return value;
    throw invalid([{ field: 'logicId', problems: [`logicId must be ${SAFE_ID}`] }]);
  }
}

export interface ReadConfigOptions {
  version?: string;
  mode?: 'online' | 'offline';
}

@Injectable()
export class ReadConfigQueryPipe implements PipeTransform<unknown, ReadConfigOptions> {
  transform(value: unknown): ReadConfigOptions {
    const query = (value ?? {}) as Record<string, unknown>;
    const problems: FieldProblem[] = [];
    for (const key of Object.keys(query)) {
      if (key !== 'version' && key !== 'mode')
        problems.push({ field: key, problems: [`property ${key} should not exist`] });
    }
    const { version, mode } = query;
    if (version !== undefined && !(typeof version === 'string' && VERSION_PATTERN.test(version))) {
      problems.push({ field: 'version', problems: [`version must be ${SAFE_VERSION}`] });
    }
    if (mode !== undefined && mode !== 'online' && mode !== 'offline') {
      problems.push({ field: 'mode', problems: ['mode must be one of the following values: online, offline'] });
    }
    if (problems.length > 0) throw invalid(problems);
    return { version: version as string | undefined, mode: mode as ReadConfigOptions['mode'] };
  }
}
