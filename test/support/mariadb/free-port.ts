import { createServer } from 'node:net';

/** The machine's own MariaDB listens here; a sandbox must never take or touch it. */
export const SYSTEM_MARIADB_PORT = 3306;

/** A port the kernel just handed out on 127.0.0.1 (free now; the caller binds it right away). */
export async function freeLoopbackPort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port !== 0 && port !== SYSTEM_MARIADB_PORT) return port;
  }
}
