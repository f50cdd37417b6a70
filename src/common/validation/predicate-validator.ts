import { type ValidationOptions, registerDecorator } from 'class-validator';

/** A class-validator decorator from a predicate and a default message (`$property` is replaced). */
export function predicateValidator(name: string, message: string, isValid: (value: unknown) => boolean) {
  return (options?: ValidationOptions) => (target: object, propertyName: string) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName,
      options: { message, ...options },
      validator: { validate: isValid },
    });
}
