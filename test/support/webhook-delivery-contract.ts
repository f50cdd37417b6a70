import { Logger } from '@nestjs/common';
import type { DatabaseConfig } from '../../src/config/app-config';
import { endpointId } from '../../src/config/webhooks.config';
import type { AppEventMap } from '../../src/common/events/app-events';
import { parsePrometheusText } from './prometheus-text';
import { URL_A, URL_B, type WebhookWorld, openWebhookWorld, signatureValid } from './webhook-world';

const A = endpointId(URL_A);
const B = endpointId(URL_B);

const failed = (id: string): AppEventMap['backup.failed'] => ({
  id,
  type: 'full',
  code: 'BACKUP_TOOL_FAILED',
  reason: 'exit 2',
});
const changed: AppEventMap['db.primary-changed'] = {
  id: 'fo-1',
  kind: 'failover',
  epoch: 7,
  oldPrimary: 'db1:3306',
  newPrimary: 'db2:3306',
  at: new Date('2026-06-01T11:59:59.000Z'),
};

/**
 * The delivery rules over a real database: recorded before the first attempt, the retry
 * schedule, 410 Gone, atomic claims, idempotent ids. Each engine's spec runs the same tests.
 */
export function describeWebhookDeliveryContract(database: () => Promise<DatabaseConfig>) {
  let world: WebhookWorld;
  const open = async (overrides = {}) => {
    await world?.close();
    world = await openWebhookWorld(await database(), overrides);
    return world;
  };
  /** logic_ha_webhook_delivery_outcomes_total by outcome, as a scrape shows it. */
  const outcomes = async () =>
    Object.fromEntries(
      parsePrometheusText(await world.metrics.text())
        .all('logic_ha_webhook_delivery_outcomes_total')
        .map((s) => [s.labels.outcome, s.value]),
    );
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']));
  beforeEach(() => open());
  afterEach(() => world.close());

  it('records one row per endpoint, with one message id and the signed body, before any attempt', async () => {
    await world.outbox.record('db.primary-changed', changed);

    const rows = await world.rows();
    expect(world.sender.requests).toEqual([]);
    expect(rows.map((r) => r.endpoint).sort()).toEqual([A, B].sort());
    expect(new Set(rows.map((r) => r.messageId)).size).toBe(1);
    expect(rows[0]).toMatchObject({
      type: 'failover.succeeded',
      status: 'pending',
      attempts: 0,
      nextAttemptAt: world.clock.now(),
    });
    expect(JSON.parse(rows[0].payload)).toEqual({
      type: 'failover.succeeded',
      timestamp: '2026-06-01T12:00:00.000Z',
      data: { ...changed, at: '2026-06-01T11:59:59.000Z' },
    });
  });

  it('500, 500, then 200: three attempts on the schedule, one message id, each validly signed with its own timestamp', async () => {
    world.sender.script(URL_A, 500, 500, 200);
    await world.outbox.record('backup.failed', failed('b-1'));
    const dispatcher = world.dispatcher();

    expect(await dispatcher.runDue()).toBe(2); // A and B, at once
    const afterFirst = (await world.rows()).find((r) => r.endpoint === A)!;
    expect(afterFirst).toMatchObject({
      status: 'pending',
      attempts: 1,
      responseStatus: 500,
      lastError: 'the endpoint answered HTTP 500',
    });
    expect(afterFirst.nextAttemptAt).toEqual(new Date(world.clock.now().getTime() + 5000));

    world.clock.advance(4999);
    expect(await dispatcher.runDue()).toBe(0); // not due yet
    world.clock.advance(1);
    expect(await dispatcher.runDue()).toBe(1);
    world.clock.advance(300_000);
    expect(await dispatcher.runDue()).toBe(1);

    const row = (await world.rows()).find((r) => r.endpoint === A)!;
    expect(row).toMatchObject({
      status: 'delivered',
      attempts: 3,
      responseStatus: 200,
      lastError: null,
      nextAttemptAt: null,
    });
    expect(row.deliveredAt).toEqual(world.clock.now());
    const sent = world.sender.to(URL_A);
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((r) => r.headers['webhook-id']))).toEqual(new Set([row.messageId]));
    expect(sent.map((r) => Number(r.headers['webhook-timestamp']))).toEqual(
      sent.map((r) => Math.floor(r.at.getTime() / 1000)),
    );
    expect(new Set(sent.map((r) => r.body))).toEqual(new Set([row.payload]));
    expect(sent.every((r) => signatureValid(r))).toBe(true);
    expect(world.sender.to(URL_B)).toHaveLength(1);
  });

  it('retries timeouts and refused connections, then fails when the schedule runs out', async () => {
    world.sender.script(URL_A, 'timeout', 'refused', 503);
    await world.outbox.record('backup.failed', failed('b-2'));
    const dispatcher = world.dispatcher();
    await dispatcher.runDue();
    let row = (await world.rows()).find((r) => r.endpoint === A)!;
    expect(row).toMatchObject({
      status: 'pending',
      attempts: 1,
      responseStatus: null,
      lastError: 'no answer within 1000 ms',
    });
    world.clock.advance(5000);
    await dispatcher.runDue();
    row = (await world.rows()).find((r) => r.endpoint === A)!;
    expect(row).toMatchObject({ status: 'pending', attempts: 2, lastError: 'not sent: ECONNREFUSED' });
    world.clock.advance(300_000);
    await dispatcher.runDue();
    row = (await world.rows()).find((r) => r.endpoint === A)!;
    expect(row).toMatchObject({
      status: 'failed',
      attempts: 3,
      responseStatus: 503,
      nextAttemptAt: null,
      lastError: 'the endpoint answered HTTP 503; gave up after 3 attempts',
    });
    world.clock.advance(10 * 3_600_000);
    expect(await dispatcher.runDue()).toBe(0);
    expect(world.sender.to(URL_A)).toHaveLength(3);
    // A to retry twice, then failed; B delivered at once.
    expect(await outcomes()).toEqual({ delivered: 1, retry: 2, failed: 1, disabled: 0 });
  });

  it('410 Gone disables the endpoint: its pending deliveries stop, new events are logged as disabled, the others go on', async () => {
    world.sender.script(URL_A, 500, 410);
    await world.outbox.record('backup.failed', failed('b-3'));
    const dispatcher = world.dispatcher();
    await dispatcher.runDue();
    world.clock.advance(1000);
    await world.outbox.record('backup.failed', failed('b-4')); // due now, for A and B
    world.clock.advance(4000); // b-3's retry is due as well
    await dispatcher.runDue();

    const toA = (await world.rows()).filter((r) => r.endpoint === A);
    expect(toA.map((r) => r.status)).toEqual(['disabled', 'disabled']);
    const gone = toA.find((r) => r.responseStatus === 410)!;
    expect(gone.lastError).toBe('the endpoint answered 410 Gone: disabled');
    const sentBefore = world.sender.to(URL_A).length;
    expect(sentBefore).toBeLessThanOrEqual(3);

    await world.outbox.record('backup.failed', failed('b-5'));
    world.clock.advance(3_000_000);
    await dispatcher.runDue();
    expect(world.sender.to(URL_A)).toHaveLength(sentBefore);
    // b-3's first try a retry; b-3's retry and b-4 both answered 410; b-5 was written disabled, never attempted.
    expect(await outcomes()).toMatchObject({ retry: 1, failed: 0, disabled: 2 });
    expect((await world.rows()).filter((r) => r.endpoint === A).map((r) => r.status)).toEqual([
      'disabled',
      'disabled',
      'disabled',
    ]);
    expect((await world.rows()).filter((r) => r.endpoint === B).map((r) => r.status)).toEqual([
      'delivered',
      'delivered',
      'delivered',
    ]);
    const endpoints = await world.log.endpoints();
    expect(endpoints.find((e) => e.id === A)).toMatchObject({
      enabled: false,
      url: 'https://a.example/…',
      disabledReason: expect.stringMatching(/^answered 410 Gone to msg_/),
    });
    expect(endpoints.find((e) => e.id === B)).toMatchObject({ enabled: true, disabledAt: null });

    // The admin route's way back: later events go out again; what it missed stays disabled.
    world.sender.script(URL_A, 200);
    await world.log.enable(A);
    await world.outbox.record('backup.failed', failed('b-6'));
    await dispatcher.runDue();
    expect((await world.rows()).filter((r) => r.endpoint === A).map((r) => r.status)).toEqual([
      'disabled',
      'disabled',
      'disabled',
      'delivered',
    ]);
  });

  it('two nodes sending at once make each attempt once: rows are claimed atomically', async () => {
    for (let i = 0; i < 8; i++) await world.outbox.record('backup.failed', failed(`c-${i}`));
    const [a, b] = await Promise.all([world.dispatcher('node-a').runDue(), world.dispatcher('node-b').runDue()]);

    expect(a + b).toBe(16);
    const ids = world.sender.requests.map((r) => `${r.url} ${r.headers['webhook-id']}`);
    expect(new Set(ids).size).toBe(16);
    expect(ids).toHaveLength(16);
    expect((await world.rows()).every((r) => r.status === 'delivered' && r.claimedBy === null)).toBe(true);
  });

  it('a claim left by a node that died is taken over once it expires, and freed at once when that node restarts', async () => {
    await world.outbox.record('backup.failed', failed('d-1'));
    const [row] = (await world.rows()).filter((r) => r.endpoint === A);
    const now = world.clock.now();
    expect(await world.store.claim(row, 'node-dead', now, new Date(now.getTime() + 31_000))).toBe(true);
    await world.dispatcher('node-b').runDue();
    expect(world.sender.to(URL_A)).toHaveLength(0);

    await world.store.releaseClaims('node-dead');
    await world.dispatcher('node-b').runDue();
    expect(world.sender.to(URL_A)).toHaveLength(1);
  });

  it('the same occurrence reported twice (by two nodes, or twice) is one message', async () => {
    await world.outbox.record('db.primary-changed', changed);
    await world.outbox.record('db.primary-changed', { ...changed });
    await world.dispatcher().runDue();

    expect(await world.rows()).toHaveLength(2);
    expect(world.sender.requests).toHaveLength(2);
  });

  it('an event the database refuses (a failover in progress) is kept and written at the next flush, with its own time', async () => {
    const insert = jest.spyOn(world.store, 'insert').mockRejectedValueOnce(new Error('connect ECONNREFUSED'));
    const happened = world.clock.now();
    await world.outbox.record('db.failover-started', {
      id: 'fo-2',
      kind: 'failover',
      epoch: 7,
      oldPrimary: 'db1:3306',
      reason: 'three heartbeats missed',
    });
    expect(await world.rows()).toEqual([]);
    expect(world.outbox.waiting).toBe(1);

    world.clock.advance(3000);
    insert.mockRestore();
    await world.outbox.flush();
    const rows = await world.rows();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ type: 'failover.started', createdAt: happened });
    expect(world.outbox.waiting).toBe(0);
  });

  it('does not send a delivery older than the maximum age (a node that was down for days)', async () => {
    await open({ maxAgeMs: 60_000 });
    await world.outbox.record('backup.failed', failed('e-1'));
    world.clock.advance(60_001);
    await world.dispatcher().runDue();

    expect(world.sender.requests).toEqual([]);
    expect((await world.rows()).map((r) => [r.status, r.lastError])).toEqual([
      ['failed', 'older than WEBHOOK_MAX_AGE_MS'],
      ['failed', 'older than WEBHOOK_MAX_AGE_MS'],
    ]);
  });

  it('lists deliveries newest first, filtered by status and endpoint', async () => {
    world.sender.script(URL_B, 500);
    await world.outbox.record('backup.failed', failed('f-1'));
    world.clock.advance(10);
    await world.outbox.record('backup.failed', failed('f-2'));
    await world.dispatcher().runDue();

    const all = await world.log.list({ limit: 10 });
    expect(all.items.map((i) => (i.payload as { data: { id: string } }).data.id)).toEqual(['f-2', 'f-2', 'f-1', 'f-1']);
    const pending = await world.log.list({ status: 'pending', limit: 10 });
    expect(pending.items.map((i) => i.endpoint)).toEqual([B, B]);
    expect((await world.log.list({ endpoint: A, limit: 1 })).items).toMatchObject([
      { endpoint: A, status: 'delivered' },
    ]);
    expect(all.endpoints.map((e) => [e.position, e.pending])).toEqual([
      [1, 0],
      [2, 2],
    ]);
  });
}
