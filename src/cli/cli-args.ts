import { parseArgs } from 'node:util';
import { UsageError } from './cli-errors';

type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

/** Strict option parsing: an unknown option or a wrong number of positionals is a usage error. */
export function parseOptions<T extends OptionSpec>(args: string[], options: T, maxPositionals = Infinity) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length > maxPositionals) throw new UsageError(`unexpected arguments: ${parsed.positionals.slice(maxPositionals).join(' ')}`);
  return parsed;
}
