import { type Server, type Socket, createConnection, createServer } from 'node:net';

/**
 * A loopback TCP proxy a test can cut: while cut, bytes stop flowing both ways and new
 * connections hang unanswered, as behind a network partition (no reset, no refusal).
 * heal() drops what hung and forwards new connections again.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private cutOff = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('proxy has no port');
    return new TcpProxy(server, address.port, targetPort);
  }

  cut(): void {
    this.cutOff = true;
    for (const socket of this.sockets) socket.pause();
  }

  heal(): void {
    this.cutOff = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async stop(): Promise<void> {
    this.heal();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.cutOff) {
      client.pause();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
    this.track(upstream);
    client.on('data', (chunk) => {
      if (!this.cutOff) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!this.cutOff) client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }
}
