import type { TableFingerprint } from '../backup.types';

export type TableVerdict = 'match' | 'rows-differ' | 'checksum-differs' | 'missing' | 'extra';

export interface TableComparison {
  table: string;
  verdict: TableVerdict;
  /** What the manifest recorded at backup time; null for a table the restore has and the backup did not. */
  expected: TableFingerprint | null;
  /** What the scratch database holds; null for a table the restore lacks. */
  actual: TableFingerprint | null;
}

export interface FingerprintComparison {
  ok: boolean;
  tables: TableComparison[];
  /** One sentence per table that does not match. */
  problems: string[];
}

/** Table by table, both sides' names (sorted): counts first, then checksums. */
export function compareFingerprints(
  expected: Record<string, TableFingerprint>,
  actual: Record<string, TableFingerprint>,
): FingerprintComparison {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  const tables = names.map((table) => {
    const want = expected[table] ?? null;
    const got = actual[table] ?? null;
    return { table, verdict: verdictOf(want, got), expected: want, actual: got };
  });
  const problems = tables.filter((t) => t.verdict !== 'match').map(describe);
  return { ok: problems.length === 0, tables, problems };
}

function verdictOf(want: TableFingerprint | null, got: TableFingerprint | null): TableVerdict {
  if (!got) return 'missing';
  if (!want) return 'extra';
  if (want.rows !== got.rows) return 'rows-differ';
  return want.checksum === got.checksum ? 'match' : 'checksum-differs';
}

function describe(t: TableComparison): string {
  switch (t.verdict) {
    case 'missing':
      return `${t.table}: recorded at backup time, missing after the restore`;
    case 'extra':
      return `${t.table}: present after the restore, not recorded at backup time`;
    case 'rows-differ':
      return `${t.table}: ${t.actual!.rows} rows restored, ${t.expected!.rows} recorded`;
    default:
      return `${t.table}: same row count (${t.expected!.rows}) but the checksum differs`;
  }
}
