import { parseGtidPosition } from '../../database/gtid-position';

/**
 * A server's GTID history as MariaDB exposes it, reduced to "the highest sequence number
 * seen per (domain, server_id)". Sources: gtid_binlog_state (one entry per domain and
 * server_id that ever wrote to its binlog) and gtid_slave_pos (the last transaction it
 * applied from a primary per domain, which a server without log_slave_updates keeps only
 * there). Within one (domain, server_id) sequence numbers only grow, so holding N means
 * holding every earlier transaction of that server in that domain.
 */
export type GtidHistory = Map<string, number>;

export interface GtidEntry {
  domain: number;
  serverId: number;
  sequence: number;
}

/** Every `domain-server-seq` of a list (gtid_binlog_state may hold several per domain; parseGtidPosition keeps one). */
export function parseGtidList(value: string): GtidEntry[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const match = /^(\d+)-(\d+)-(\d+)$/.exec(part);
      if (!match) throw new Error(`not a GTID: ${JSON.stringify(part)}`);
      return { domain: Number(match[1]), serverId: Number(match[2]), sequence: Number(match[3]) };
    });
}

const pairKey = (domain: number, serverId: number) => `${domain}-${serverId}`;

/** The union of GTID lists, highest sequence per (domain, server_id). */
export function historyOf(...lists: string[]): GtidHistory {
  const history: GtidHistory = new Map();
  for (const entry of lists.flatMap(parseGtidList)) {
    const key = pairKey(entry.domain, entry.serverId);
    history.set(key, Math.max(history.get(key) ?? 0, entry.sequence));
  }
  return history;
}

/**
 * One run of transactions a server holds and the reference does not: `server` wrote
 * sequence numbers `from`..`to` in `domain`. `from` is one past what the reference holds of
 * that server in that domain when it holds any; one past the reference's highest sequence
 * in the domain when it never saw that server there; 1 when it never saw the domain at all.
 * A range is an upper bound: other servers' transactions of the domain may share its numbers.
 */
export interface ErrantRange {
  domain: number;
  serverId: number;
  from: number;
  to: number;
}

/**
 * What `server` (its gtid_binlog_state) holds that `reference` (the primary's history) does
 * not. Empty: every transaction in its binlog reached the primary, so it can replicate from it.
 *
 * In a domain, sequence numbers grow across servers (each new transaction takes the domain's
 * highest + 1), but a history keeps only the last number per (domain, server_id), and a
 * primary built from a backup + gtid_slave_pos (or recloned) keeps one entry per domain. So:
 *
 * (a) the reference has an entry for the same (domain, server_id): errant above that entry.
 *     This catches the old primary's own writes after the divergence even when the new
 *     primary went further in the domain meanwhile (0-1-101 errant against 0-1-100,0-2-105);
 * (b) it has none for that server but knows the domain: errant only above its highest
 *     sequence in the domain (0-3-50 against 0-1-100,0-2-150 precedes everything it holds);
 * (c) it never saw the domain: everything of it is errant.
 *
 * Blind spot of (b): a server the primary's history does not name (its entry dropped by a
 * rebuild from gtid_slave_pos) whose transactions the primary never got, numbered at or
 * below the primary's highest in the domain, is not seen. After a failover the old primary's
 * own server_id is nearly always named (the new primary replicated from it), so its writes
 * after the divergence fall under (a); (b) only decides for servers of an older past. It also
 * assumes sequence numbers grow within a domain (gtid_strict_mode, or one writer at a time).
 */
export function errantRanges(server: GtidEntry[], reference: GtidHistory): ErrantRange[] {
  const highest = highestPerDomain(reference);
  const ranges: ErrantRange[] = [];
  for (const entry of server) {
    const known = reference.get(pairKey(entry.domain, entry.serverId)) ?? highest.get(entry.domain) ?? 0;
    if (known >= entry.sequence) continue;
    ranges.push({ domain: entry.domain, serverId: entry.serverId, from: known + 1, to: entry.sequence });
  }
  return ranges.sort((a, b) => a.domain - b.domain || a.serverId - b.serverId);
}

function highestPerDomain(history: GtidHistory): Map<number, number> {
  const highest = new Map<number, number>();
  for (const [key, sequence] of history) {
    const domain = Number(key.split('-')[0]);
    highest.set(domain, Math.max(highest.get(domain) ?? 0, sequence));
  }
  return highest;
}

/** `0-1-105` for one transaction, `0-1-105-107` for a run (the form the events and status use). */
export function formatErrant(ranges: ErrantRange[]): string {
  return ranges.map((r) => `${r.domain}-${r.serverId}-${r.from}${r.to === r.from ? '' : `-${r.to}`}`).join(',');
}

/** True when the GTID `gtid` (d-s-n) falls inside one of the ranges. */
export function inRanges(gtid: string, ranges: ErrantRange[]): boolean {
  const [entry] = parseGtidList(gtid);
  return ranges.some(
    (r) =>
      r.domain === entry.domain && r.serverId === entry.serverId && entry.sequence >= r.from && entry.sequence <= r.to,
  );
}

/**
 * True when `history` has reached `position` in every domain (a gtid_binlog_pos or
 * gtid_current_pos: one entry per domain). An empty position is reached by nothing: the
 * caller must not treat "nothing to wait for" as "caught up" without saying so.
 */
export function reaches(history: GtidHistory, position: string): boolean {
  const target = parseGtidPosition(position);
  if (target.size === 0) return false;
  return [...target].every(
    ([domain, { serverId, sequence }]) => (history.get(pairKey(domain, serverId)) ?? 0) >= sequence,
  );
}
