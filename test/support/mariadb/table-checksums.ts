type Query = (sql: string, parameters?: unknown[]) => Promise<any[]>;

/**
 * Every table of `database` with its CHECKSUM TABLE … EXTENDED (every row read): equal
 * results mean the same tables holding the same data, on two servers or before and after.
 */
export async function tableChecksums(query: Query, database: string): Promise<Record<string, unknown>> {
  const tables: { name: string }[] = await query(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    [database],
  );
  const checksums: Record<string, unknown> = {};
  for (const { name } of tables) {
    const [row] = await query(`CHECKSUM TABLE \`${database}\`.\`${name}\` EXTENDED`);
    checksums[name] = row.Checksum;
  }
  return checksums;
}
