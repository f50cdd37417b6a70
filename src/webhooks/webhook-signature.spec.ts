import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { newMessageId, signWebhook } from './webhook-signature';

const SECRET_BYTES = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
const SECRET = `whsec_${SECRET_BYTES.toString('base64')}`;

describe('signWebhook', () => {
  it('is accepted by the standardwebhooks package, as a receiver verifies it', () => {
    const body = JSON.stringify({
      type: 'failover.succeeded',
      timestamp: new Date().toISOString(),
      data: { epoch: 3 },
    });
    const headers = signWebhook(SECRET_BYTES, 'msg_p5jXN8AQM9LWM0D4loKWxJek', new Date(), body);

    expect(new Webhook(SECRET).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('matches the package signing the same id, time and body byte for byte', () => {
    const at = new Date('2026-11-29T22:00:00.000Z');
    const body = '{"type":"backup.failed","timestamp":"2026-11-29T22:00:00.000Z","data":{"id":"x"}}';
    const headers = signWebhook(SECRET_BYTES, 'msg_abc', at, body);

    expect(headers).toEqual({
      'webhook-id': 'msg_abc',
      'webhook-timestamp': '1795989600',
      'webhook-signature': new Webhook(SECRET).sign('msg_abc', at, body),
    });
  });

  it('agrees with an independent HMAC-SHA256 of `${id}.${timestamp}.${body}` over the decoded secret', () => {
    const secret = randomBytes(32);
    const at = new Date('2026-01-02T03:04:05.678Z');
    const body = '{"ü":"non-ASCII bodies are signed as UTF-8"}';
    const expected = createHmac('sha256', secret)
      .update(Buffer.from(`msg_1.1767323045.${body}`, 'utf8'))
      .digest('base64');

    expect(signWebhook(secret, 'msg_1', at, body)['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('is refused by a receiver when the body, the id or the secret differ', () => {
    const body = '{"type":"server.fenced"}';
    const headers = { ...signWebhook(SECRET_BYTES, 'msg_1', new Date(), body) };
    const webhook = new Webhook(SECRET);

    expect(() => webhook.verify('{"type":"server.fenced "}', headers)).toThrow(/signature/i);
    expect(() => webhook.verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow(/signature/i);
    expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(body, headers)).toThrow(
      /signature/i,
    );
  });
});

describe('newMessageId', () => {
  it('is msg_ and 32 URL-safe characters, new each time', () => {
    const ids = new Set(Array.from({ length: 100 }, newMessageId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^msg_[A-Za-z0-9_-]{32}$/);
  });
});
