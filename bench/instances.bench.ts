import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { type Pool, type PoolConnection, createPool } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { EventBus } from '../src/common/events/event-bus';
import { SystemClock } from '../src/common/time/clock';
import { buildDataSourceOptions } from '../src/database/data-source-options.factory';
import { TransactionRunner, isRetryableTransactionError } from '../src/database/transaction-runner';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { LogicInstanceEntity } from '../src/instances/entities/logic-instance.entity';
import { InstanceLifecycleService } from '../src/instances/instance-lifecycle.service';
import { InstanceService } from '../src/instances/instance.service';
import { MariaDbServer } from '../test/support/mariadb';
import { fillInstances } from './servers/fill-instances';
import { percentiles, throughput, timeEach } from './stats';
import { ENTITIES } from '../src/entities';

/**
 * 1,000,000 instances in a private MariaDB (10% running, 20% uncompleted and not running,
 * 70% completed; createTime over 90 days; 200 logic ids). Measures p50/p99 of each query
 * through InstanceService, and lifecycle throughput (start + next + stop) through the
 * services against the same writes done with raw mysql2 prepared statements.
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const QUERY_ITERATIONS = Number(process.env.BENCH_QUERY_ITERATIONS ?? 200);
const CYCLES = Number(process.env.BENCH_CYCLES ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUNDS = 3;

async function withCpu(measure: () => Promise<number>): Promise<{ perSecond: number; cpuMs: number }> {
  const before = process.cpuUsage();
  const perSecond = await measure();
  const used = process.cpuUsage(before);
  return { perSecond, cpuMs: Number(((used.user + used.system) / 1000 / CYCLES).toFixed(2)) };
}
const DAY_S = 86_400;

async function measureQueries(instances: InstanceService) {
  const now = Date.now();
  const pick = (i: number) => (i * 7919) % ROWS;
  const cursorPage = await instances.queryUncompletedBizExclude({}, { limit: 100 });
  return {
    getInstance: percentiles(
      await timeEach(QUERY_ITERATIONS, (i) => instances.getInstance(`logic-${pick(i) % 200}`, `biz-${pick(i)}`)),
    ),
    queryLongtimeRunningBiz: percentiles(
      await timeEach(QUERY_ITERATIONS, () => instances.queryLongtimeRunningBiz(3600, { limit: 100 })),
    ),
    queryUncompletedBiz: percentiles(
      await timeEach(QUERY_ITERATIONS, (i) =>
        instances.queryUncompletedBiz(
          { from: new Date(now - ((i % 80) + 2) * DAY_S * 1000), isRunning: false },
          { limit: 100 },
        ),
      ),
    ),
    queryUncompletedBizExclude: percentiles(
      await timeEach(QUERY_ITERATIONS, (i) =>
        instances.queryUncompletedBizExclude(
          {
            from: new Date(now - ((i % 80) + 7) * DAY_S * 1000),
            to: new Date(now - DAY_S * 1000),
            isRunning: false,
            isSuccess: false,
            maxRetryTimes: 3,
            excludeLogicIds: ['logic-1', 'logic-2', 'logic-3', 'logic-4', 'logic-5'],
          },
          { limit: 100 },
        ),
      ),
    ),
    queryUncompletedNextPage: percentiles(
      await timeEach(QUERY_ITERATIONS, () =>
        instances.queryUncompletedBizExclude({}, { limit: 100, cursor: cursorPage.nextCursor! }),
      ),
    ),
    updateInstanceNextId: percentiles(
      await timeEach(QUERY_ITERATIONS, (i) =>
        instances.updateInstanceNextId(`logic-${pick(i) % 200}`, `biz-${pick(i)}`, { nextId: 'n' }),
      ),
    ),
  };
}

async function lifecycleThroughViaServices(
  lifecycle: InstanceLifecycleService,
  instances: InstanceService,
  run: string,
) {
  return throughput(CYCLES, CONCURRENCY, async (i) => {
    const key = { logicId: `bench-${run}`, bizId: `svc-${i}` };
    await lifecycle.start({ ...key, paramsJson: '{"a":1}' });
    await instances.updateInstanceNextId(key.logicId, key.bizId, { nextId: 'step-2', nextName: 'Step 2' });
    await lifecycle.stop({ ...key, success: true, isOver: true, returnData: '{"ok":true}', message: 'done' });
  });
}

/** Deadlock retries as TransactionRunner does them, so both sides pay the same price. */
const rawRetry = retry(handleWhen(isRetryableTransactionError), {
  maxAttempts: 4,
  backoff: new ExponentialBackoff({ initialDelay: 5, maxDelay: 200 }),
});

/** A transaction under the pair's named lock, as TransactionRunner.runExclusive() does it. */
async function rawTransaction(pool: Pool, key: string, work: (connection: PoolConnection) => Promise<void>) {
  const name = `logic-ha:${createHash('sha1').update(key).digest('hex')}`;
  await rawRetry.execute(async () => {
    const connection = await pool.getConnection();
    try {
      await connection.execute('SELECT GET_LOCK(?, 10)', [name]);
      await connection.beginTransaction();
      try {
        await work(connection);
        await connection.commit();
      } catch (error) {
        await connection.rollback();
        throw error;
      }
    } finally {
      await connection.execute('SELECT RELEASE_LOCK(?)', [name]);
      connection.release();
    }
  });
}

/** The same statements the services issue, as prepared statements on a bare mysql2 pool. */
async function lifecycleThroughRawMysql(pool: Pool, run: string) {
  const newest =
    'SELECT * FROM logic_instance WHERE logicId = ? AND bizId = ? ORDER BY serverTime DESC, startTime DESC, id DESC LIMIT 1';
  return throughput(CYCLES, CONCURRENCY, async (i) => {
    const logicId = `bench-${run}`;
    const bizId = `raw-${i}`;
    const key = `instance\u0000${logicId}\u0000${bizId}`;
    await rawTransaction(pool, key, async (connection) => {
      const now = new Date();
      await connection.execute(newest, [logicId, bizId]);
      await connection.execute(
        'INSERT INTO logic_instance (id, logicId, bizId, paramsJson, isRunning, isOver, isAsync, retryTimes, startTime, createTime, serverTime) VALUES (?, ?, ?, ?, 1, 0, 0, 0, ?, ?, ?)',
        [randomUUID(), logicId, bizId, '{"a":1}', now, now, now],
      );
    });
    await pool.execute(
      'UPDATE logic_instance SET nextId = ?, nextName = ?, varsJsonEnd = NULL, isOver = 0, serverTime = ? WHERE logicId = ? AND bizId = ?',
      ['step-2', 'Step 2', new Date(), logicId, bizId],
    );
    await rawTransaction(pool, key, async (connection) => {
      const [rows] = await connection.execute(newest, [logicId, bizId]);
      const row = (rows as { id: string; startTime: Date }[])[0];
      const stopped = new Date();
      await connection.execute(
        'UPDATE logic_instance SET stopTime = ?, duration = ?, success = 1, isOver = 1, isRunning = 0, message = ?, returnData = ?, serverTime = ? WHERE id = ?',
        [stopped, stopped.getTime() - row.startTime.getTime(), 'done', '{"ok":true}', stopped, row.id],
      );
    });
  });
}

async function main(): Promise<void> {
  const server = await MariaDbServer.start({ serverId: 71, extraArgs: ['--innodb-buffer-pool-size=1G'] });
  try {
    const endpoint = await server.createDatabaseWithUser('bench', 'app', 'app-password');
    const database = {
      type: 'mysql' as const,
      primary: endpoint,
      standbys: [],
      connectTimeoutMs: 5000,
      poolSize: CONCURRENCY,
    };
    const dataSource = await new DataSource({
      ...buildDataSourceOptions({ database, runMigrationsOnInit: true, entities: ENTITIES }),
      logging: false,
    }).initialize();
    const fillSeconds = await fillInstances(server, 'bench', ROWS);
    const clock = new SystemClock();
    const instances = new InstanceService(dataSource.getRepository(LogicInstanceEntity), clock);
    const lifecycle = new InstanceLifecycleService(
      new TransactionRunner(dataSource),
      clock,
      new EventBus(new EventEmitter2()),
    );
    const pool = createPool({ ...endpoint, connectionLimit: CONCURRENCY, timezone: 'Z' });

    const queries = await measureQueries(instances);
    // Warm both paths, then measure them alternately, three rounds, so neither gets a
    // warmer cache; the reported ratio is the median round's.
    await lifecycleThroughViaServices(lifecycle, instances, 'warm');
    await lifecycleThroughRawMysql(pool, 'warm');
    const rounds: { logicHa: number; raw: number; logicHaCpuMs: number; rawCpuMs: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const logicHaRun = await withCpu(() => lifecycleThroughViaServices(lifecycle, instances, `measured-${round}`));
      const rawRun = await withCpu(() => lifecycleThroughRawMysql(pool, `measured-${round}`));
      rounds.push({
        logicHa: logicHaRun.perSecond,
        raw: rawRun.perSecond,
        logicHaCpuMs: logicHaRun.cpuMs,
        rawCpuMs: rawRun.cpuMs,
      });
    }
    const median = [...rounds].sort((a, b) => a.logicHa / a.raw - b.logicHa / b.raw)[Math.floor(ROUNDS / 2)];

    console.log(
      JSON.stringify({
        bench: 'instances',
        rows: ROWS,
        fillSeconds: Math.round(fillSeconds),
        queries,
        lifecycle: {
          cycles: CYCLES,
          concurrency: CONCURRENCY,
          rounds: rounds.map((r) => Number((r.logicHa / r.raw).toFixed(3))),
          logicHaCyclesPerSecond: Math.round(median.logicHa),
          rawMysql2CyclesPerSecond: Math.round(median.raw),
          ratio: Number((median.logicHa / median.raw).toFixed(3)),
          // Node's own CPU per cycle: the services run in this one thread, so it bounds their throughput.
          nodeCpuMsPerCycle: { logicHa: median.logicHaCpuMs, rawMysql2: median.rawCpuMs },
        },
      }),
    );
    await pool.end();
    await dataSource.destroy();
  } finally {
    await server.stop();
  }
}

void main();
