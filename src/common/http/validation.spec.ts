import { ValidationError } from 'class-validator';
import { fieldProblems, validationFailed } from './validation';

function error(
  property: string,
  constraints?: Record<string, string>,
  children: ValidationError[] = [],
): ValidationError {
  return Object.assign(new ValidationError(), { property, constraints, children });
}

describe('validation errors', () => {
  it('names every field, nested ones with a dotted path', () => {
    const errors = [
      error('level', { isIn: 'level must be one of: a, b' }),
      error('extra', { whitelistValidation: 'property extra should not exist' }),
      error('config', undefined, [error('id', { isString: 'id must be a string' })]),
    ];
    expect(fieldProblems(errors)).toEqual([
      { field: 'level', problems: ['level must be one of: a, b'] },
      { field: 'extra', problems: ['property extra should not exist'] },
      { field: 'config.id', problems: ['id must be a string'] },
    ]);
    const failure = validationFailed(errors);
    expect(failure.code).toBe('VALIDATION_FAILED');
    expect(failure.message).toBe(
      'Invalid request: level: level must be one of: a, b; extra: property extra should not exist; config.id: id must be a string',
    );
  });
});
