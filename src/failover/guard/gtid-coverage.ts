import { parseGtidPosition } from '../../database/gtid-position';

/**
 * Set arithmetic on MariaDB GTID positions (`domain-server-sequence` per domain), as the
 * zero-loss guard needs it. Within one replication history (gtid_strict_mode) a domain's
 * sequence numbers only grow, so a position stands for every transaction up to it in each
 * of its domains: "has received 0-1-12" means it has 0-1-1 … 0-1-12 too.
 */
type Position = Map<number, { serverId: number; sequence: number }>;

/** Per domain, the further of the two; what at least one of them has. */
export function gtidUnion(...values: string[]): string {
  const union: Position = new Map();
  for (const value of values) {
    for (const [domain, position] of parseGtidPosition(value)) {
      const known = union.get(domain);
      if (!known || position.sequence > known.sequence) union.set(domain, position);
    }
  }
  return format(union);
}

/**
 * Whether `have` holds every transaction of `need`: in each domain of `need`, a higher
 * sequence, or the same one from the same server (the same sequence from another server
 * is another transaction: a diverged history counts as not received).
 */
export function gtidCovers(have: string, need: string): boolean {
  return gtidMissing(have, need) === '';
}

/**
 * What `need` holds and `have` lacks, per domain, as `domain-server-first..last` ranges
 * (`0-1-11..15`), comma-separated; '' when nothing is missing.
 */
export function gtidMissing(have: string, need: string): string {
  const held = parseGtidPosition(have);
  const missing: string[] = [];
  for (const [domain, wanted] of [...parseGtidPosition(need)].sort(([a], [b]) => a - b)) {
    const got = held.get(domain);
    if (
      got &&
      (got.sequence > wanted.sequence || (got.sequence === wanted.sequence && got.serverId === wanted.serverId))
    )
      continue;
    const first = got && got.sequence < wanted.sequence ? got.sequence + 1 : wanted.sequence;
    missing.push(
      first === wanted.sequence
        ? `${domain}-${wanted.serverId}-${wanted.sequence}`
        : `${domain}-${wanted.serverId}-${first}..${wanted.sequence}`,
    );
  }
  return missing.join(',');
}

function format(position: Position): string {
  return [...position]
    .sort(([a], [b]) => a - b)
    .map(([domain, { serverId, sequence }]) => `${domain}-${serverId}-${sequence}`)
    .join(',');
}
