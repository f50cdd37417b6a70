/**
 * MariaDB GTID positions: a comma-separated list with one `domain-server-sequence` per
 * replication domain (`0-1-5,1-2-9`). Order within the list carries no meaning.
 */
export const GTID_LIST_PATTERN = /^\d+-\d+-\d+(,\d+-\d+-\d+)*$/;

interface DomainPosition {
  serverId: number;
  sequence: number;
}

/** Domain -> position; an empty or blank string is the empty position. */
export function parseGtidPosition(value: string): Map<number, DomainPosition> {
  const positions = new Map<number, DomainPosition>();
  for (const part of value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const match = /^(\d+)-(\d+)-(\d+)$/.exec(part);
    if (!match) throw new Error(`not a GTID: ${JSON.stringify(part)}`);
    positions.set(Number(match[1]), { serverId: Number(match[2]), sequence: Number(match[3]) });
  }
  return positions;
}

export function gtidPositionsEqual(a: string, b: string): boolean {
  const left = parseGtidPosition(a);
  const right = parseGtidPosition(b);
  return (
    left.size === right.size &&
    [...left].every(([domain, position]) => {
      const other = right.get(domain);
      return other !== undefined && other.serverId === position.serverId && other.sequence === position.sequence;
    })
  );
}

/** Sum of sequence numbers: a total order good enough to pick the most advanced of replicas of one primary. */
export function gtidProgress(value: string): number {
  return [...parseGtidPosition(value).values()].reduce((sum, position) => sum + position.sequence, 0);
}
