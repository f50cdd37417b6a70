import { type ValidationArguments, type ValidationOptions, registerDecorator } from 'class-validator';
import { isParseError, parseMysqlUrl, splitUrlList } from './mysql-url';

function firstUrlProblem(value: unknown, allowList: boolean): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  const urls = allowList ? splitUrlList(value) : [value];
  if (urls.length === 0) return 'must list at least one URL';
  for (const [index, url] of urls.entries()) {
    const parsed = parseMysqlUrl(url);
    if (isParseError(parsed)) return allowList ? `entry ${index + 1} ${parsed.error}` : parsed.error;
  }
  return undefined;
}

function mysqlUrlDecorator(name: string, allowList: boolean, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => firstUrlProblem(value, allowList) === undefined,
        // The message names the problem but never echoes the URL: it may hold a password.
        defaultMessage: (args: ValidationArguments) => `$property ${firstUrlProblem(args.value, allowList)}`,
      },
    });
}

export const IsMysqlUrl = (options?: ValidationOptions) => mysqlUrlDecorator('isMysqlUrl', false, options);
export const IsMysqlUrlList = (options?: ValidationOptions) => mysqlUrlDecorator('isMysqlUrlList', true, options);
