/** `0-1-5,1-2-9` as domain -> `server-seq`, so two positions compare regardless of order. */
export function gtidPositionsEqual(a: string, b: string): boolean {
  const parse = (value: string): Map<string, string> =>
    new Map(
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
        .map((part) => {
          const [domain, ...rest] = part.split('-');
          return [domain, rest.join('-')];
        }),
    );
  const left = parse(a);
  const right = parse(b);
  return left.size === right.size && [...left].every(([domain, rest]) => right.get(domain) === rest);
}

export const GTID_LIST_PATTERN = /^\d+-\d+-\d+(,\d+-\d+-\d+)*$/;
