import { bizIdsOn, serverKey, startInstance, useFailoverWorld } from '../support/failover-app';
import { startWriteLoad } from '../support/instance-writer';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LOGIC_ID = 'fast-path';

/**
 * The fast path on hard evidence (docs/concepts.md, "The fast path on hard evidence"), with
 * the default settings: a killed primary refuses connections to the monitor and to its
 * standby, and is confirmed after FAILOVER_FAST_CONFIRM_MS instead of the full window;
 * a stalled one (no refusal) keeps the full window.
 */
describe('fast path: kill -9 of the primary (real MariaDB, default settings)', () => {
  const world = useFailoverWorld({ replicas: 1, serverIdBase: 130, replicatingStandbys: 1 });

  it('a primary stalled (SIGSTOP) for less than the detection window is not failed over', async () => {
    world.cluster.primary.pause();
    await sleep(1500);
    world.cluster.primary.resume();
    await sleep(4000);
    const status = (await world.app.admin.api('GET', '/api/v1/failover/status')).body;
    expect(status).toMatchObject({ epoch: 0, primary: serverKey(world.cluster.primary.port), lastChange: null });
    expect(status.detection.verdict).toBe('healthy');
    expect(await startInstance(world.app, LOGIC_ID, 'after-stall')).toBe(200);
  });

  it('a killed primary is promoted away on the fast path, losing no acknowledged write', async () => {
    const load = startWriteLoad(world.app.baseUrl, { writers: 4, logicId: LOGIC_ID });
    await sleep(800);
    const killedAt = Date.now();
    await world.cluster.primary.kill();
    await load.firstAckAfter(killedAt, 30_000);
    await sleep(300);
    await load.stop();
    const newPrimary = serverKey(world.cluster.replicas[0].port);
    // The record is written after the app reopened on the new primary: wait for it.
    const status = await world.app.admin.poll('/api/v1/failover/status', (s) => s.lastChange?.kind === 'failover');
    expect(status).toMatchObject({ epoch: 1, primary: newPrimary });
    expect(status.lastChange).toMatchObject({ kind: 'failover', outcome: 'succeeded', newPrimary });
    expect(status.lastChange.reason).toMatch(
      /^fast path: the primary refused \d+ connections over \d+ ms; every standby was refused too; .*Connecting .*Connection refused/,
    );
    const onNew = await bizIdsOn(world.cluster.replicas[0], LOGIC_ID);
    expect(load.acknowledged.filter((bizId) => !onNew.has(bizId))).toEqual([]);
  });
});

/**
 * mariadbd killed and started again at once on the same port and datadir, as systemd
 * would. The harness's restart (crash recovery included) takes 1.4-3.4 s on a loaded
 * 2-core machine, longer than the default 1 s fast window, so the window is widened here
 * (and the full window with it): what is tested is that a handshake within the fast window
 * cancels, not how fast mariadbd starts. bench/failover measures the default window.
 */
describe('fast path: mariadbd restarted within the fast window (real MariaDB)', () => {
  const world = useFailoverWorld({
    replicas: 1,
    serverIdBase: 140,
    replicatingStandbys: 1,
    env: { FAILOVER_FAST_CONFIRM_MS: '9000', FAILURE_THRESHOLD: '10' },
  });

  it('refused, then a handshake: no failover, and the log says why', async () => {
    await world.cluster.primary.kill();
    await world.cluster.primary.restart();
    await world.app.admin.poll('/api/v1/failover/status', (s) => s.detection?.verdict === 'healthy', 20_000);
    await sleep(2000);
    const status = (await world.app.admin.api('GET', '/api/v1/failover/status')).body;
    expect(status).toMatchObject({ epoch: 0, primary: serverKey(world.cluster.primary.port), lastChange: null });
    // The log is written asynchronously: the line may land a moment after the status says so.
    const cancelled = /refused connections, then answered within the fast window/;
    for (let i = 0; i < 50 && !cancelled.test(world.app.test.logs.join('\n')); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(world.app.test.logs.join('\n')).toMatch(cancelled);
    expect(world.app.test.logs.join('\n')).not.toMatch(/failover started/);
    expect(await startInstance(world.app, LOGIC_ID, 'after-restart')).toBe(200);
  });
});

/**
 * Issue 18, part 5: a switchover, a switch back about 3 s later, then kill -9 of the
 * primary under writes. The first run reported apply-relay-log taking 4 s.
 */
describe('after a switchover and a switch back: kill -9 under writes (real MariaDB)', () => {
  const world = useFailoverWorld({ replicas: 1, serverIdBase: 150, replicatingStandbys: 1 });

  it('promotes the standby, losing no acknowledged write', async () => {
    const [standby] = world.cluster.replicas;
    const load = startWriteLoad(world.app.baseUrl, { writers: 4, logicId: LOGIC_ID });
    await sleep(700);
    const away = await world.app.admin.api('POST', '/api/v1/failover/switchover', { target: serverKey(standby.port) });
    expect(away.body).toMatchObject({ outcome: 'succeeded', epoch: 1 });
    await sleep(3000);
    const back = await world.app.admin.api('POST', '/api/v1/failover/switchover', {
      target: serverKey(world.cluster.primary.port),
    });
    expect(back.body).toMatchObject({ outcome: 'succeeded', epoch: 2 });
    await sleep(1000);
    const killedAt = Date.now();
    await world.cluster.primary.kill();
    await load.firstAckAfter(killedAt, 30_000);
    await sleep(300);
    await load.stop();

    const status = await world.app.admin.poll('/api/v1/failover/status', (s) => s.lastChange?.kind === 'failover');
    expect(status).toMatchObject({ epoch: 3, primary: serverKey(standby.port) });
    expect(status.lastChange).toMatchObject({ kind: 'failover', outcome: 'succeeded' });
    expect(status.lastChange.reason).toMatch(/^fast path: /);
    // For the record of issue 18 part 5 (not asserted: speed lives in bench/): where the time went.
    const steps = status.lastChange.steps.map(
      (step: { name: string; durationMs: number }) => `${step.name} ${step.durationMs}`,
    );
    console.log(`failover after switch back: ${steps.join(', ')}`);
    const onNew = await bizIdsOn(standby, LOGIC_ID);
    expect(load.acknowledged.filter((bizId) => !onNew.has(bizId))).toEqual([]);
    expect(load.failures.get(500) ?? 0).toBe(0);
  });
});
