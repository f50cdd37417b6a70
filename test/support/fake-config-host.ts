import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type HostBehaviour =
  | { kind: 'answer'; configs: Record<string, unknown> }
  | { kind: 'status'; status: number }
  | { kind: 'body'; body: string }
  | { kind: 'sleep'; ms: number };

/**
 * A real HTTP server speaking the config host contract (GET /api/ide/logic/:id/config[/:version]),
 * whose behaviour a test switches: answer, fail with a status, send a raw body, or hang.
 */
export class FakeConfigHost {
  behaviour: HostBehaviour = { kind: 'answer', configs: {} };
  requests: string[] = [];
  private server?: Server;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((request, response) => {
      this.requests.push(request.url ?? '');
      const behaviour = this.behaviour;
      if (behaviour.kind === 'sleep') {
        const timer = setTimeout(() => response.end('{"data":null}'), behaviour.ms);
        response.on('close', () => clearTimeout(timer));
        return;
      }
      if (behaviour.kind === 'status') {
        response.writeHead(behaviour.status).end('failure');
        return;
      }
      if (behaviour.kind === 'body') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(behaviour.body);
        return;
      }
      const match = /^\/api\/ide\/logic\/([^/]+)\/config(?:\/([^/]+))?$/.exec(request.url ?? '');
      const key = match ? decodeURIComponent(match[2] ? `${match[1]}@${match[2]}` : match[1]) : '';
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ data: behaviour.configs[key] ?? null }));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening and drops open connections: the host is gone. */
  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }
}
