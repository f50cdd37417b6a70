import { ValidationPipe } from '@nestjs/common';
import { type ValidationError } from 'class-validator';
import { CommonErrorCode } from '../errors/common-error-code';
import { DomainError, ErrorKind } from '../errors/domain-error';

export interface FieldProblem {
  field: string;
  problems: string[];
}

/** Flattens nested class-validator errors into `{ field: 'a.b', problems }`, one per field. */
export function fieldProblems(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...fieldProblems(error.children ?? [], field)];
  });
}

export function validationFailed(errors: ValidationError[]): DomainError {
  const details = fieldProblems(errors);
  const message = `Invalid request: ${details.map((d) => `${d.field}: ${d.problems.join(', ')}`).join('; ')}`;
  return new DomainError(CommonErrorCode.ValidationFailed, ErrorKind.InvalidInput, message, { details });
}

/**
 * Global input validation: unknown fields are rejected (not silently dropped), values are
 * converted to their declared types, and the 400 names every bad field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: validationFailed,
  });
}
