export interface RetentionRow {
  id: string;
  type: 'full' | 'incremental';
  state: 'running' | 'succeeded' | 'failed' | 'expired';
  parentId: string | null;
  startedAt: Date;
  verifiedAt: Date | null;
}

export interface RetentionPlan {
  /** Backups to remove, each with why. */
  expire: { id: string; reason: string }[];
  /** Full backups kept. */
  keptFulls: string[];
}

/**
 * Keeps the newest `retainFull` successful full backups with their incrementals, plus the
 * newest verified full even when it is older (it may be the only backup known good).
 * Incrementals go with their full; an incremental whose chain no longer reaches a kept
 * full is useless and goes too. Running backups are never touched.
 */
export function planRetention(rows: RetentionRow[], retainFull: number): RetentionPlan {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const fulls = rows
    .filter((row) => row.type === 'full' && row.state === 'succeeded')
    .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || b.id.localeCompare(a.id));
  const kept = new Set(fulls.slice(0, retainFull).map((row) => row.id));
  const newestVerified = fulls.find((row) => row.verifiedAt !== null);
  if (newestVerified) kept.add(newestVerified.id);

  const expire: RetentionPlan['expire'] = [];
  for (const full of fulls)
    if (!kept.has(full.id)) expire.push({ id: full.id, reason: `older than the newest ${retainFull} full backups` });
  for (const row of rows) {
    if (row.type !== 'incremental' || row.state !== 'succeeded') continue;
    const root = rootOf(row, byId);
    if (root && kept.has(root.id)) continue;
    expire.push({
      id: row.id,
      reason: root ? `its full backup ${root.id} expires` : 'its chain no longer reaches a usable full backup',
    });
  }
  return { expire, keptFulls: fulls.filter((row) => kept.has(row.id)).map((row) => row.id) };
}

function rootOf(row: RetentionRow, byId: Map<string, RetentionRow>): RetentionRow | null {
  let current: RetentionRow | undefined = row;
  for (let steps = 0; current && steps < 100_000; steps++) {
    if (current.type === 'full') return current.state === 'succeeded' ? current : null;
    if (current.state !== 'succeeded') return null;
    current = current.parentId ? byId.get(current.parentId) : undefined;
  }
  return null;
}
