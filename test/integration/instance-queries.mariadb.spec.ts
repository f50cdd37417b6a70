import type { DatabaseConfig } from '../../src/config/app-config';
import { LogicInstanceEntity } from '../../src/instances/entities/logic-instance.entity';
import { type InstanceWorld, TIME, ago, openInstanceWorld } from '../support/instance-fixtures';
import { JOBS_CONFIG, jobsFor } from '../support/instance-jobs';
import { MariaDbServer } from '../support/mariadb';

const { H, D } = TIME;

describe('instance queries on MariaDB at scale', () => {
  let server: MariaDbServer;
  let database: DatabaseConfig;
  beforeAll(async () => {
    server = await MariaDbServer.start({ serverId: 61 });
    database = {
      type: 'mysql',
      primary: await server.createDatabaseWithUser('queries', 'app', 'app-password'),
      standbys: [],
      connectTimeoutMs: 5000,
      poolSize: 5,
    };
  });
  afterAll(() => server?.stop());

  describe('two retry sweepers racing on the same rows (two nodes)', () => {
    let nodeA: InstanceWorld;
    let nodeB: InstanceWorld;
    beforeAll(async () => {
      nodeA = await openInstanceWorld(database);
      nodeB = await openInstanceWorld(database);
    });
    afterAll(async () => {
      await nodeA?.close();
      await nodeB?.close();
    });

    it('never both claim one row: every eligible row is handed out exactly once', async () => {
      const rows = Array.from({ length: 600 }, (_, i) => ({
        id: `r-${String(i).padStart(4, '0')}`,
        logicId: 'R',
        bizId: `b${i}`,
        isOver: false,
        isRunning: false,
        retryTimes: 0,
        createTime: ago(H),
        serverTime: ago(H),
      }));
      await nodeA.reset(rows);
      nodeB.events.length = 0;
      const config = { ...JOBS_CONFIG, retry: { ...JOBS_CONFIG.retry, maxRetryTimes: 3, excludeLogicIds: [] } };
      const [a, b] = await Promise.all([jobsFor(nodeA, config).retry.run(), jobsFor(nodeB, config).retry.run()]);

      const claimedIds = [...nodeA.events, ...nodeB.events].map(
        (e) => (e.payload as { instanceId: string }).instanceId,
      );
      expect(a.claimed + b.claimed).toBe(600);
      expect(new Set(claimedIds).size).toBe(600);
      expect(claimedIds).toHaveLength(600);
      const counts = await nodeA.dataSource
        .getRepository(LogicInstanceEntity)
        .createQueryBuilder('i')
        .select('i.retryTimes', 'retryTimes')
        .addSelect('COUNT(*)', 'n')
        .groupBy('i.retryTimes')
        .getRawMany();
      expect(counts.map((c) => ({ retryTimes: Number(c.retryTimes), n: Number(c.n) }))).toEqual([
        { retryTimes: 1, n: 600 },
      ]);
    });
  });

  describe('EXPLAIN of every instance statement', () => {
    let world: InstanceWorld;
    beforeAll(async () => {
      world = await openInstanceWorld(database);
      await world.reset([]);
      // 20,000 rows with a realistic spread, so the optimiser weighs indexes as it would in production.
      await world.dataSource.query(
        `INSERT INTO logic_instance (id, logicId, bizId, parentBizId, isOver, isRunning, success, retryTimes, createTime, startTime, serverTime)
         SELECT CONCAT('x', seq), CONCAT('L', seq % 50), CONCAT('B', seq), NULL,
                IF(seq % 10 < 7, 1, 0), IF(seq % 10 = 0, 1, 0), seq % 2, seq % 5,
                TIMESTAMP('2026-06-01 12:00:00') - INTERVAL seq MINUTE,
                TIMESTAMP('2026-06-01 12:00:00') - INTERVAL seq MINUTE,
                TIMESTAMP('2026-06-01 12:00:00') - INTERVAL seq MINUTE
           FROM seq_1_to_20000`,
      );
      await world.dataSource.query('ANALYZE TABLE logic_instance');
      world.logger.clear();
    });
    afterAll(() => world?.close());

    it('uses an index for each query, update and delete (no full table scan)', async () => {
      const { instances, lifecycle } = world;
      await instances.getInstance('L7', 'B7');
      const longRunning = await instances.queryLongtimeRunningBiz(3600, { limit: 10 });
      await instances.queryLongtimeRunningBiz(3600, { limit: 10, cursor: longRunning.nextCursor! });
      const uncompleted = await instances.queryUncompletedBizExclude({}, { limit: 10 });
      await instances.queryUncompletedBizExclude({}, { limit: 10, cursor: uncompleted.nextCursor! });
      await instances.queryUncompletedBizExclude({ from: ago(2 * D), to: ago(D) }, { limit: 10 });
      await instances.queryUncompletedBizExclude(
        { from: ago(3 * D), isRunning: false, isSuccess: false, maxRetryTimes: 3, excludeLogicIds: ['L1', 'L2'] },
        { limit: 10 },
      );
      await instances.updateInstanceNextId('L7', 'B7', { nextId: 'n' });
      await lifecycle.start({ logicId: 'L8', bizId: 'B8' });
      await lifecycle.stop({ logicId: 'L8', bizId: 'B8', success: true, isOver: false });
      await instances.deleteBiz({ ids: ['x1', 'x2'] });
      await instances.deleteBiz({ from: ago(14 * D), to: ago(13 * D) });
      await instances.deleteCompletedBizInstanceByLogicId('L3');
      const jobs = jobsFor(world, { ...JOBS_CONFIG, retry: { ...JOBS_CONFIG.retry, lookbackSeconds: 3600 * 24 } });
      await jobs.retry.run();
      await jobs.cleanup.run();
      await instances.deleteCompletedBizInstance();

      const statements = world.logger.queries.filter(
        (q) => /logic_instance/.test(q.sql) && /^\s*(SELECT|UPDATE|DELETE)/i.test(q.sql),
      );
      expect(statements.length).toBeGreaterThanOrEqual(15);
      // The deletes above removed most rows; InnoDB recalculates statistics in the background
      // at a moment that depends on load, and plans made in between are unstable. Analyse now.
      await world.dataSource.query('ANALYZE TABLE logic_instance');
      const scans: string[] = [];
      for (const statement of statements) {
        const plan: { table: string | null; type: string | null; key: string | null }[] = await world.dataSource.query(
          `EXPLAIN ${statement.sql}`,
          statement.parameters,
        );
        for (const step of plan) {
          if (step.type === 'ALL' || step.type === 'index')
            scans.push(`${step.type} on ${step.table}: ${statement.sql.slice(0, 160)}`);
        }
      }
      expect(scans).toEqual([]);
    });
  });
});
