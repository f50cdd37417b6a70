import type { DatabaseConfig } from '../../src/config/app-config';
import { DomainError } from '../../src/common/errors/domain-error';
import { LogicInstanceEntity } from '../../src/instances/entities/logic-instance.entity';
import type { UncompletedCriteria } from '../../src/instances/instance-criteria';
import { type InstanceWorld, NOW, ROWS, TIME, ago, openInstanceWorld } from './instance-fixtures';
import { jobsFor } from './instance-jobs';

const { S, H, D } = TIME;
const ids = (items: { id: string }[]) => items.map((item) => item.id);

/** InstanceService and the lifecycle against hand-computed expectations; run on every engine. */
export function describeInstanceContract(freshDatabase: () => Promise<DatabaseConfig>): void {
  let world: InstanceWorld;
  beforeAll(async () => {
    world = await openInstanceWorld(await freshDatabase());
  });
  afterAll(() => world?.close());
  beforeEach(() => world.reset());

  describe('getInstance', () => {
    it.each<[string | undefined, string | undefined, string | null]>([
      ['L1', 'B1', 'a1'], // a1 and a7 share the pair; a1 has the newer serverTime
      ['L1', 'B2', 'a2'],
      ['L9', 'B9', null],
      ['', 'B1', null],
      ['L1', undefined, null],
      [undefined, 'B1', null],
    ])('(%j, %j) -> %j', async (logicId, bizId, expected) => {
      const instance = await world.instances.getInstance(logicId, bizId);
      expect(instance?.id ?? null).toBe(expected);
    });
  });

  describe('queryLongtimeRunningBiz (seconds, strictly older)', () => {
    it.each<[number, string[]]>([
      [3600, ['a1']],
      [30, ['a1']], // a4 started exactly 30 s ago: not older than 30 s
      [29, ['a1', 'a4']],
      [7199, ['a1']],
      [7200, []], // a1 started exactly 2 h ago
      [0, ['a1', 'a4']],
    ])('timeout %i s -> %j', async (timeout, expected) => {
      expect(ids((await world.instances.queryLongtimeRunningBiz(timeout)).items)).toEqual(expected);
    });
  });

  describe('queryUncompletedBizExclude (isOver = false, filters only when given, by createTime)', () => {
    it.each<[string, UncompletedCriteria, string[]]>([
      ['no filter', {}, ['a1', 'a2', 'a3', 'a4', 'a6']],
      ['from, inclusive', { from: ago(5 * D) }, ['a2', 'a3', 'a4', 'a6']],
      ['to, inclusive', { to: ago(3 * D) }, ['a1', 'a2', 'a3']],
      ['from and to', { from: ago(5 * D), to: ago(3 * D) }, ['a2', 'a3']],
      ['running', { isRunning: true }, ['a1', 'a4']],
      ['not running', { isRunning: false }, ['a2', 'a3', 'a6']],
      ['failed', { isSuccess: false }, ['a2', 'a6']],
      ['succeeded', { isSuccess: true }, ['a3']],
      ['retryTimes <= 2', { maxRetryTimes: 2 }, ['a1', 'a2', 'a6']],
      ['retryTimes <= 0', { maxRetryTimes: 0 }, ['a1']],
      ['excluding L1', { excludeLogicIds: ['L1'] }, ['a3', 'a4', 'a6']],
      ['excluding L1 and L2', { excludeLogicIds: ['L1', 'L2'] }, ['a6']],
      ['empty exclusion list', { excludeLogicIds: [] }, ['a1', 'a2', 'a3', 'a4', 'a6']],
      ['combined', { isRunning: false, maxRetryTimes: 3, excludeLogicIds: ['L3'] }, ['a2', 'a3']],
    ])('%s', async (_name, criteria, expected) => {
      expect(ids((await world.instances.queryUncompletedBizExclude(criteria)).items)).toEqual(expected);
    });

    it('queryUncompletedBiz is the variant without retry limit or exclusions', async () => {
      const page = await world.instances.queryUncompletedBiz({ from: ago(6 * D), isRunning: false });
      expect(ids(page.items)).toEqual(['a2', 'a3', 'a6']);
    });

    it('pages with a stable cursor and never more than the limit', async () => {
      const first = await world.instances.queryUncompletedBizExclude({}, { limit: 2 });
      expect(ids(first.items)).toEqual(['a1', 'a2']);
      // A row created before the cursor's position does not shift the following pages.
      await world.dataSource
        .getRepository(LogicInstanceEntity)
        .insert({ id: 'a0', logicId: 'L9', bizId: 'B0', isOver: false, createTime: ago(40 * D) });
      const second = await world.instances.queryUncompletedBizExclude({}, { limit: 2, cursor: first.nextCursor! });
      expect(ids(second.items)).toEqual(['a3', 'a4']);
      const third = await world.instances.queryUncompletedBizExclude({}, { limit: 2, cursor: second.nextCursor! });
      expect(ids(third.items)).toEqual(['a6']);
      expect(third.nextCursor).toBeNull();
    });

    it('refuses a cursor it did not make', async () => {
      await expect(world.instances.queryUncompletedBizExclude({}, { cursor: 'not-a-cursor' })).rejects.toMatchObject({
        code: 'INVALID_CURSOR',
      });
    });
  });

  describe('deletes', () => {
    it('deleteCompletedBizInstanceByLogicId removes only that logic’s completed rows', async () => {
      expect(await world.instances.deleteCompletedBizInstanceByLogicId('L3')).toBe(1);
      expect(await remainingIds()).toEqual(['a1', 'a2', 'a3', 'a4', 'a6', 'a7', 'a8']);
    });

    it('deleteCompletedBizInstance removes every completed row', async () => {
      expect(await world.instances.deleteCompletedBizInstance()).toBe(3);
      expect(await remainingIds()).toEqual(['a1', 'a2', 'a3', 'a4', 'a6']);
    });

    it.each<[string, { from?: Date; to?: Date; ids?: string[] }, number, string[]]>([
      ['ids', { ids: ['a2', 'a6', 'nope'] }, 2, ['a1', 'a3', 'a4', 'a5', 'a7', 'a8']],
      ['full range, inclusive', { from: ago(4 * D), to: ago(2 * D) }, 2, ['a1', 'a2', 'a4', 'a5', 'a6', 'a7']],
      [
        'range and ids: both must match',
        { from: ago(11 * D), to: ago(4 * D), ids: ['a1', 'a3'] },
        1,
        ['a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8'],
      ],
      [
        'half a range plus ids: the range is ignored',
        { from: ago(11 * D), ids: ['a3'] },
        1,
        ['a1', 'a2', 'a4', 'a5', 'a6', 'a7', 'a8'],
      ],
    ])('deleteBiz by %s', async (_name, criteria, deleted, remaining) => {
      expect(await world.instances.deleteBiz(criteria)).toBe(deleted);
      expect(await remainingIds()).toEqual(remaining);
    });

    it.each([[{}], [{ from: ago(D) }], [{ to: ago(D) }], [{ ids: [] }]])(
      'deleteBiz refuses %j and deletes nothing',
      async (criteria) => {
        await expect(world.instances.deleteBiz(criteria)).rejects.toMatchObject({ code: 'DELETE_CRITERION_MISSING' });
        expect(await remainingIds()).toHaveLength(ROWS.length);
      },
    );

    it('deletes 5,000 rows in statements of at most 1,000 rows', async () => {
      const many = Array.from({ length: 5000 }, (_, i) => ({
        id: `bulk-${String(i).padStart(5, '0')}`,
        logicId: 'BULK',
        bizId: `b${i}`,
        isOver: true,
        createTime: ago(D),
      }));
      await world.reset(many);
      expect(await world.instances.deleteCompletedBizInstanceByLogicId('BULK')).toBe(5000);
      const deletes = world.logger.queries.filter((q) => /^DELETE/i.test(q.sql));
      expect(deletes.length).toBeGreaterThanOrEqual(5);
      // Each DELETE names its rows' ids, plus the two criteria parameters.
      for (const statement of deletes) expect(statement.parameters.length - 2).toBeLessThanOrEqual(1000);
      expect(await remainingIds()).toEqual([]);
    });
  });

  describe('updateInstanceNextId', () => {
    it('sets the next step on every row of the pair and marks it not over', async () => {
      world.clock.advance(5 * S);
      expect(
        await world.instances.updateInstanceNextId('L1', 'B1', {
          nextId: 'n-9',
          nextName: 'Ship',
          varsJsonEnd: '{"x":1}',
        }),
      ).toBe(2);
      const rows = await world.dataSource.getRepository(LogicInstanceEntity).findBy({ logicId: 'L1', bizId: 'B1' });
      for (const row of rows) {
        expect(row).toMatchObject({ nextId: 'n-9', nextName: 'Ship', varsJsonEnd: '{"x":1}', isOver: false });
        expect(row.serverTime).toEqual(new Date(NOW.getTime() + 5 * S));
      }
    });

    it('changes nothing for an unknown pair', async () => {
      expect(await world.instances.updateInstanceNextId('L1', 'nope', { nextId: 'x' })).toBe(0);
    });
  });

  describe('lifecycle', () => {
    it('start creates a running instance, then emits instance.before-run', async () => {
      const started = await world.lifecycle.start({
        logicId: 'L7',
        bizId: 'B7',
        version: '2.0',
        paramsJson: '{"p":1}',
        env: 'prod',
      });
      const stored = await world.dataSource.getRepository(LogicInstanceEntity).findOneByOrFail({ id: started.id });
      expect(stored).toMatchObject({
        logicId: 'L7',
        bizId: 'B7',
        version: '2.0',
        paramsJson: '{"p":1}',
        env: 'prod',
        isRunning: true,
        isOver: false,
        retryTimes: 0,
        startTime: NOW,
        createTime: NOW,
        serverTime: NOW,
      });
      expect(world.events).toEqual([
        {
          name: 'instance.before-run',
          payload: { logicId: 'L7', bizId: 'B7', instanceId: started.id, params: '{"p":1}' },
        },
      ]);
    });

    it('start re-marks the existing instance of the pair instead of adding one', async () => {
      world.clock.advance(10 * S);
      const restarted = await world.lifecycle.start({ logicId: 'L1', bizId: 'B2' });
      expect(restarted.id).toBe('a2');
      expect(restarted).toMatchObject({ isRunning: true, startTime: new Date(NOW.getTime() + 10 * S), stopTime: null });
      expect(await world.dataSource.getRepository(LogicInstanceEntity).countBy({ logicId: 'L1', bizId: 'B2' })).toBe(1);
    });

    it('concurrent starts of a new pair create exactly one instance', async () => {
      await Promise.all(Array.from({ length: 8 }, () => world.lifecycle.start({ logicId: 'L8', bizId: 'race' })));
      expect(await world.dataSource.getRepository(LogicInstanceEntity).countBy({ logicId: 'L8', bizId: 'race' })).toBe(
        1,
      );
    });

    it('stop records the outcome, then emits after-stop and biz-completed in that order', async () => {
      const started = await world.lifecycle.start({ logicId: 'L7', bizId: 'B7' });
      world.clock.advance(1234);
      world.events.length = 0;
      const stopped = await world.lifecycle.stop({
        logicId: 'L7',
        bizId: 'B7',
        success: true,
        isOver: true,
        returnData: '{"r":1}',
        message: 'done',
        nextId: 'n2',
      });
      expect(stopped).toMatchObject({
        id: started.id,
        success: true,
        isOver: true,
        isRunning: false,
        returnData: '{"r":1}',
        message: 'done',
        nextId: 'n2',
        duration: 1234,
        stopTime: new Date(NOW.getTime() + 1234),
      });
      expect(world.events.map((e) => e.name)).toEqual(['instance.after-stop', 'instance.biz-completed']);
      expect(world.events[1].payload).toEqual({
        logicId: 'L7',
        bizId: 'B7',
        instanceId: started.id,
        returnData: '{"r":1}',
      });
    });

    it('stop of a run that is not over emits after-stop only', async () => {
      await world.lifecycle.start({ logicId: 'L7', bizId: 'B7' });
      world.events.length = 0;
      await world.lifecycle.stop({ logicId: 'L7', bizId: 'B7', success: false, isOver: false });
      expect(world.events.map((e) => e.name)).toEqual(['instance.after-stop']);
    });

    it('stop cuts the message to 255 characters without splitting one', async () => {
      await world.lifecycle.start({ logicId: 'L7', bizId: 'B7' });
      const stopped = await world.lifecycle.stop({
        logicId: 'L7',
        bizId: 'B7',
        success: false,
        isOver: false,
        message: '€'.repeat(300),
      });
      expect(stopped.message).toBe('€'.repeat(255));
    });

    it('stop of an unknown pair is a not-found error and emits nothing', async () => {
      await expect(
        world.lifecycle.stop({ logicId: 'L7', bizId: 'nope', success: true, isOver: true }),
      ).rejects.toBeInstanceOf(DomainError);
      expect(world.events).toEqual([]);
    });

    it('stores quotes and SQL fragments verbatim', async () => {
      const nasty = {
        logicId: `L'"; DROP TABLE x;--`,
        bizId: `b' OR '1'='1`,
        paramsJson: `{"q":"it's \\"quoted\\"; DELETE FROM logic_instance"}`,
      };
      await world.lifecycle.start(nasty);
      const found = await world.instances.getInstance(nasty.logicId, nasty.bizId);
      expect(found).toMatchObject(nasty);
      expect(await remainingIds()).toHaveLength(ROWS.length + 1);
    });
  });

  describe('recovery jobs', () => {
    it('long-running emits once per instance running past the timeout', async () => {
      expect(await jobsFor(world).longRunning.run()).toEqual({ emitted: 1 });
      expect(world.events).toEqual([
        {
          name: 'instance.long-running',
          payload: { logicId: 'L1', bizId: 'B1', instanceId: 'a1', startTime: ago(2 * H), runningSeconds: 7200 },
        },
      ]);
    });

    it('retry claims uncompleted, not running rows within the limits, once, and emits retry-due', async () => {
      // Candidates: not over, not running, retryTimes <= 2, not L3, created within 7 days: a2 (a3 has 3, a6 is L3).
      expect(await jobsFor(world).retry.run()).toEqual({ candidates: 1, claimed: 1, skipped: 0 });
      expect(world.events).toEqual([
        { name: 'instance.retry-due', payload: { logicId: 'L1', bizId: 'B2', instanceId: 'a2', retryTimes: 2 } },
      ]);
      const a2 = await world.dataSource.getRepository(LogicInstanceEntity).findOneByOrFail({ id: 'a2' });
      expect(a2).toMatchObject({ retryTimes: 2, serverTime: NOW });
      // Within the cool-down the same row is not handed out again.
      world.clock.advance(30 * S);
      expect(await jobsFor(world).retry.run()).toEqual({ candidates: 1, claimed: 0, skipped: 1 });
    });

    it('retry leaves a row a runtime touched during the cool-down', async () => {
      await world.dataSource.getRepository(LogicInstanceEntity).update({ id: 'a2' }, { serverTime: ago(10 * S) });
      expect(await jobsFor(world).retry.run()).toMatchObject({ claimed: 0 });
    });

    it('cleanup removes completed rows older than the retention, and nothing else', async () => {
      // Completed: a5 (20 d), a7 (30 d), a8 (2 d); retention 7 days.
      expect(await jobsFor(world).cleanup.run()).toEqual({ deleted: 2 });
      expect(await remainingIds()).toEqual(['a1', 'a2', 'a3', 'a4', 'a6', 'a8']);
    });
  });

  async function remainingIds(): Promise<string[]> {
    const rows = await world.dataSource
      .getRepository(LogicInstanceEntity)
      .find({ select: { id: true }, order: { id: 'ASC' } });
    return ids(rows);
  }
}
