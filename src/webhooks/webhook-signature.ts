import { createHmac, randomBytes } from 'node:crypto';

/** The three Standard Webhooks headers of one attempt. */
export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Standard Webhooks signing, done here with node:crypto: `v1,` + base64 of
 * HMAC-SHA256(secret bytes, `${id}.${timestamp}.${body}`), the timestamp in unix seconds.
 * The timestamp is the attempt's, so a retry carries a fresh one (receivers refuse old ones)
 * while the id stays the same.
 */
export function signWebhook(secret: Buffer, messageId: string, at: Date, body: string): WebhookHeaders {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const digest = createHmac('sha256', secret).update(`${messageId}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': messageId, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${digest}` };
}

/** A new message id: `msg_` and 24 random bytes in base64url (32 characters), 36 in all. */
export function newMessageId(): string {
  return `msg_${randomBytes(24).toString('base64url')}`;
}
