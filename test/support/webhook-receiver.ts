import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** The status this receiver answered. */
  answered: number;
}

/**
 * A real HTTP webhook receiver on 127.0.0.1 (a free port): answers each POST with the next
 * status of its script (the last one repeats), and keeps every request as received.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  private answers: number[] = [200];

  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answered = this.answers.length > 1 ? this.answers.shift()! : this.answers[0];
      this.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
      res.writeHead(answered, { 'content-type': 'text/plain' }).end(String(answered));
    });
  });

  private constructor() {}

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/logic-ha`;
  }

  /** The statuses to answer from now on, in order; the last one repeats. */
  answer(...statuses: number[]): void {
    this.answers = statuses;
  }

  /** Resolves once `count` requests arrived; a generous deadline, never a speed check. */
  async waitForRequests(count: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.requests.length} of ${count} webhook requests arrived`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
