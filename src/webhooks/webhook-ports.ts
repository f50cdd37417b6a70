import { Injectable } from '@nestjs/common';

/** A receiver's answer; a network failure or timeout throws instead. */
export interface WebhookResponse {
  status: number;
}

/** Outbound HTTP for webhooks: a port, so tests can answer without a network. */
export abstract class WebhookSender {
  abstract post(
    url: string,
    headers: Record<string, string>,
    body: string,
    timeoutMs: number,
  ): Promise<WebhookResponse>;
}

/**
 * POSTs with fetch. Redirects are not followed (the spec counts a 3xx as a failure: a
 * receiver must answer at the URL it was given), and the body of the answer is read and
 * dropped so the connection can be reused.
 */
@Injectable()
export class FetchWebhookSender extends WebhookSender {
  async post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<WebhookResponse> {
    const signal = AbortSignal.timeout(timeoutMs);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'logic-ha-webhooks', ...headers },
      body,
      redirect: 'manual',
      signal,
    });
    await response.arrayBuffer().catch(() => undefined);
    return { status: response.status };
  }
}

/** A repeating timer: a port, so tests drive the worker by hand. */
export abstract class WebhookTimer {
  /** Calls `tick` every `intervalMs` until the returned function is called. */
  abstract every(intervalMs: number, tick: () => void): () => void;
}

@Injectable()
export class IntervalWebhookTimer extends WebhookTimer {
  every(intervalMs: number, tick: () => void): () => void {
    const handle = setInterval(tick, intervalMs);
    handle.unref();
    return () => clearInterval(handle);
  }
}
