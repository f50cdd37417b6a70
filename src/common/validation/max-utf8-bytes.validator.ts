import { ValidationOptions, registerDecorator } from 'class-validator';

/** A string that fits a column measured in bytes (MySQL `text` holds 65,535 bytes of UTF-8). */
export function MaxUtf8Bytes(max: number, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'maxUtf8Bytes',
      target: target.constructor,
      propertyName,
      constraints: [max],
      options: { message: `$property must be at most ${max} bytes of UTF-8`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && Buffer.byteLength(value, 'utf8') <= max },
    });
}
