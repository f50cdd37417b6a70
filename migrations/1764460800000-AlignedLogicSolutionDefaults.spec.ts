import type { QueryRunner } from 'typeorm';
import { AlignedLogicSolutionDefaults1764460800000 as Migration } from './1764460800000-AlignedLogicSolutionDefaults';

/** A query runner that answers the inspection with `aligned` and records every other statement. */
function runner(type: 'mysql' | 'better-sqlite3', aligned: string[]) {
  const issued: string[] = [];
  const queryRunner = {
    connection: { driver: { options: { type } } },
    query: async (sql: string) => {
      if (/^\s*SELECT/i.test(sql)) return aligned.map((key) => ({ aligned: key }));
      issued.push(sql);
      return [];
    },
  } as unknown as QueryRunner;
  return { queryRunner, issued };
}

const ALL_KEYS = [
  'logic_instance.serverTime',
  'logic_log.serverTime',
  'logic_log.logicId_bizId',
  'logic_published.publishTime',
];

describe('AlignedLogicSolutionDefaults (ha-4)', () => {
  it('on a database earlier logic-ha built (nothing aligned), issues every change', async () => {
    const { queryRunner, issued } = runner('mysql', []);
    await new Migration().up(queryRunner);
    expect(issued).toEqual([
      'ALTER TABLE `logic_instance` MODIFY COLUMN `serverTime` datetime NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP',
      'ALTER TABLE `logic_log` MODIFY COLUMN `serverTime` datetime(3) NULL DEFAULT CURRENT_TIMESTAMP(3)',
      'ALTER TABLE `logic_log` RENAME INDEX `idx_logic_log_logicId_bizId` TO `logicId_bizId`',
      'ALTER TABLE `logic_published` MODIFY COLUMN `publishTime` datetime NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP',
    ]);
  });

  it.each(['mysql', 'better-sqlite3'] as const)(
    "on a database logic-solution's scripts built (%s: everything aligned), changes nothing",
    async (type) => {
      const { queryRunner, issued } = runner(type, ALL_KEYS);
      await new Migration().up(queryRunner);
      expect(issued).toEqual([]);
    },
  );

  it('issues only what is still missing', async () => {
    const { queryRunner, issued } = runner('mysql', [
      'logic_instance.serverTime',
      'logic_log.logicId_bizId',
      'logic_published.publishTime',
    ]);
    await new Migration().up(queryRunner);
    expect(issued).toEqual([
      'ALTER TABLE `logic_log` MODIFY COLUMN `serverTime` datetime(3) NULL DEFAULT CURRENT_TIMESTAMP(3)',
    ]);
  });

  it('on SQLite rebuilds only the tables whose default is missing, keeping their indexes and triggers', async () => {
    const { queryRunner, issued } = runner('better-sqlite3', ['logic_log.serverTime', 'logic_published.publishTime']);
    await new Migration().up(queryRunner);
    expect(issued[0]).toMatch(
      /^CREATE TABLE "logic_instance__rebuild" \(.*"serverTime" datetime DEFAULT CURRENT_TIMESTAMP,/s,
    );
    expect(issued.filter((sql) => sql.startsWith('CREATE INDEX')).length).toBe(5);
    expect(issued.at(-1)).toMatch(/^CREATE TRIGGER "logic_instance_serverTime_on_update"/);
    expect(issued.some((sql) => sql.includes('logic_log'))).toBe(false);
  });

  it("keeps logic-solution's defaults on the way down", async () => {
    const { queryRunner, issued } = runner('mysql', []);
    await new Migration().down(queryRunner);
    expect(issued).toEqual([]);
  });
});
