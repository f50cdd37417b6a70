import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { EventBus } from '../../src/common/events/event-bus';
import { endpointId } from '../../src/config/webhooks.config';
import { type TestApp, startTestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'webhooks-e2e-admin-token-0123';
const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const SECRET = `whsec_${Buffer.from('logic-ha webhooks e2e secret, 32+ bytes').toString('base64')}`;

type Delivery = { messageId: string; status: string; attempts: number; responseStatus: number | null; type: string };

/** Polls the delivery log (the route an operator reads) until `done` holds; a generous deadline, not a speed check. */
async function deliveriesWhen(t: TestApp, done: (items: Delivery[]) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await request(t.server).get('/api/v1/webhooks/deliveries').set(AUTH).expect(200);
    const items = response.body.items as Delivery[];
    if (done(items)) return response.body as { items: Delivery[]; endpoints: Record<string, unknown>[] };
    if (Date.now() > deadline) throw new Error(`the delivery log never got there: ${JSON.stringify(items)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What a receiver does: verify with the standardwebhooks package, then drop a message id it has processed. */
function processAsReceiver(requests: WebhookReceiver['requests']) {
  const webhook = new Webhook(SECRET);
  const processed = new Map<string, unknown>();
  for (const r of requests) {
    const event = webhook.verify(r.body, r.headers as Record<string, string>);
    if (r.answered >= 200 && r.answered < 300 && !processed.has(r.headers['webhook-id'] as string))
      processed.set(r.headers['webhook-id'] as string, event);
  }
  return [...processed.values()];
}

describe('webhooks through the whole app (SQLite, a real HTTP receiver)', () => {
  let receiver: WebhookReceiver;
  let dataDir: string;
  let t: TestApp | undefined;
  const env = () => ({
    ADMIN_TOKEN,
    DATA_DIR: dataDir,
    WEBHOOK_URLS: receiver.url,
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_RETRY_SCHEDULE: '50ms,50ms,50ms,50ms,50ms,50ms,50ms,50ms',
    WEBHOOK_POLL_INTERVAL_MS: '20',
    WEBHOOK_TIMEOUT_MS: '5000',
  });
  const emitBackupFailed = (app: TestApp, id: string) =>
    app.app.get(EventBus).emit('backup.failed', { id, type: 'full', code: 'BACKUP_TOOL_FAILED', reason: 'exit 2' });

  beforeEach(async () => {
    receiver = await WebhookReceiver.start();
    dataDir = mkdtempSync(join(tmpdir(), 'logic-ha-webhooks-e2e-'));
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a receiver answering 500, 500, then 200 gets the event once, validly signed, as standardwebhooks verifies it', async () => {
    receiver.answer(500, 500, 200);
    t = await startTestApp(env());
    emitBackupFailed(t, '20261129-020001-000F');

    const log = await deliveriesWhen(t, (items) => items[0]?.status === 'delivered');
    expect(log.items).toEqual([
      expect.objectContaining({ type: 'backup.failed', status: 'delivered', attempts: 3, responseStatus: 200 }),
    ]);
    expect(receiver.requests.map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([log.items[0].messageId]));
    expect(processAsReceiver(receiver.requests)).toEqual([
      {
        type: 'backup.failed',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        data: { id: '20261129-020001-000F', type: 'full', code: 'BACKUP_TOOL_FAILED', reason: 'exit 2' },
      },
    ]);
    expect(receiver.requests[0].headers['content-type']).toBe('application/json');
  });

  it('a restart in the middle of the retries still delivers: the pending row is in the database', async () => {
    receiver.answer(500);
    t = await startTestApp(env());
    emitBackupFailed(t, '20261129-020002-000F');
    await receiver.waitForRequests(1);
    const before = await deliveriesWhen(t, (items) => items[0]?.attempts >= 1);
    expect(before.items[0]).toMatchObject({ status: 'pending', responseStatus: 500 });
    await t.close(); // the first node stops while the delivery is still pending
    t = undefined;
    const triedBeforeRestart = receiver.requests.length;
    expect(receiver.requests.every((r) => r.answered === 500)).toBe(true);

    receiver.answer(200);
    t = await startTestApp(env()); // a new process on the same DATA_DIR (the same SQLite file)
    const after = await deliveriesWhen(t, (items) => items[0]?.status === 'delivered');

    expect(after.items).toEqual([
      expect.objectContaining({
        messageId: before.items[0].messageId,
        attempts: triedBeforeRestart + 1,
        responseStatus: 200,
      }),
    ]);
    expect(receiver.requests).toHaveLength(triedBeforeRestart + 1);
    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual(
      Array(triedBeforeRestart + 1).fill(before.items[0].messageId),
    );
    expect(processAsReceiver(receiver.requests)).toHaveLength(1);
  });

  it('410 Gone shows the endpoint disabled in the log; the admin route enables it again', async () => {
    receiver.answer(410);
    t = await startTestApp(env());
    const id = endpointId(receiver.url);
    emitBackupFailed(t, '20261129-020003-000F');
    const gone = await deliveriesWhen(t, (items) => items[0]?.status === 'disabled');
    expect(gone.endpoints).toEqual([
      expect.objectContaining({
        id,
        position: 1,
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/…$/),
        enabled: false,
      }),
    ]);

    emitBackupFailed(t, '20261129-020004-000F');
    await deliveriesWhen(t, (items) => items.length === 2 && items.every((i) => i.status === 'disabled'));
    expect(receiver.requests).toHaveLength(1);

    receiver.answer(200);
    const enabled = await request(t.server).post(`/api/v1/webhooks/endpoints/${id}/enable`).set(AUTH).expect(200);
    expect(enabled.body).toMatchObject({ id, enabled: true, disabledAt: null });
    emitBackupFailed(t, '20261129-020005-000F');
    await deliveriesWhen(t, (items) => items[0]?.status === 'delivered');
    expect(receiver.requests.map((r) => r.answered)).toEqual([410, 200]);
  });
});

describe('GET /api/v1/webhooks/deliveries: auth and bad input', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      ADMIN_TOKEN,
      WEBHOOK_URLS: 'http://127.0.0.1:9/never-called',
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_POLL_INTERVAL_MS: '60000',
    });
  });
  afterAll(() => t?.close());

  it('needs the admin token', async () => {
    await request(t.server).get('/api/v1/webhooks/deliveries').expect(401);
    await request(t.server)
      .get('/api/v1/webhooks/deliveries')
      .set({ Authorization: 'Bearer wrong-token-0123456789' })
      .expect(401);
    await request(t.server)
      .post(`/api/v1/webhooks/endpoints/${'a'.repeat(16)}/enable`)
      .expect(401);
  });

  it('answers the endpoints and an empty log', async () => {
    const response = await request(t.server)
      .get('/api/v1/webhooks/deliveries?status=pending&limit=500')
      .set(AUTH)
      .expect(200);
    expect(response.body).toEqual({
      endpoints: [
        {
          id: endpointId('http://127.0.0.1:9/never-called'),
          position: 1,
          url: 'http://127.0.0.1:9/…',
          enabled: true,
          disabledAt: null,
          disabledReason: null,
          pending: 0,
        },
      ],
      items: [],
    });
  });

  it.each([
    ['?status=sent', 'status'],
    ['?status=', 'status'],
    ['?limit=0', 'limit'],
    ['?limit=501', 'limit'],
    ['?limit=ten', 'limit'],
    ['?limit=1.5', 'limit'],
    ['?endpoint=https%3A%2F%2Fx', 'endpoint'],
    ['?endpoint=ABCDEF0123456789', 'endpoint'],
    ['?since=yesterday', 'since'],
  ])('GET deliveries%s is a 400 naming %s', async (query, field) => {
    const response = await request(t.server).get(`/api/v1/webhooks/deliveries${query}`).set(AUTH).expect(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
  });

  it('enabling needs an endpoint id (400 naming id) of a configured endpoint (404), and changes nothing', async () => {
    const bad = await request(t.server).post('/api/v1/webhooks/endpoints/not-an-id/enable').set(AUTH).expect(400);
    expect(bad.body.details.map((d: { field: string }) => d.field)).toEqual(['id']);
    const unknown = await request(t.server)
      .post(`/api/v1/webhooks/endpoints/${'0'.repeat(16)}/enable`)
      .set(AUTH)
      .expect(404);
    expect(unknown.body).toMatchObject({ code: 'WEBHOOK_UNKNOWN_ENDPOINT' });
    const log = await request(t.server).get('/api/v1/webhooks/deliveries').set(AUTH).expect(200);
    expect(log.body.endpoints[0]).toMatchObject({ enabled: true });
  });
});
