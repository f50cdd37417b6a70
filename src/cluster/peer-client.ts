import { request } from 'undici';

export interface PeerAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** HTTP calls from this node to another node's API (failsafe checks, forwarded leader actions). */
export class PeerClient {
  constructor(private readonly adminToken: string) {}

  async call(
    address: string,
    path: string,
    options: {
      method?: string;
      body?: unknown;
      timeoutMs: number;
      headers?: Record<string, string>;
      /** Ends the call early (with its reason), on top of the timeout. */
      signal?: AbortSignal;
    },
  ): Promise<PeerAnswer> {
    const response = await request(`${address}${path}`, {
      method: (options.method ?? 'GET') as 'GET',
      headers: {
        authorization: `Bearer ${this.adminToken}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: options.signal
        ? AbortSignal.any([AbortSignal.timeout(options.timeoutMs), options.signal])
        : AbortSignal.timeout(options.timeoutMs),
    });
    const text = await response.body.text();
    const headers: Record<string, string> = {};
    for (const name of ['retry-after', 'content-type']) {
      const value = response.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    return { status: response.statusCode, headers, body: text ? (JSON.parse(text) as unknown) : undefined };
  }
}
