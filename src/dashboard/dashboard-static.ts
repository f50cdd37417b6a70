import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

export const DASHBOARD_PREFIX = '/dashboard/';

/**
 * The page holds no data and no secret: it is served to anyone, and every request it makes
 * carries the admin token the operator types in. The policy keeps it to its own files and
 * the API of this origin, and out of frames (no clickjacking of the action buttons).
 */
const DASHBOARD_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

/** Serves public/dashboard at /dashboard/ (and redirects /dashboard there). */
export function installDashboard(app: NestFastifyApplication, root = dashboardRoot()): void {
  app.useStaticAssets({
    root,
    prefix: DASHBOARD_PREFIX,
    decorateReply: false,
    // @fastify/static 10 passes Fastify's reply here, although Nest's option type still says ServerResponse.
    setHeaders: (reply: unknown) => {
      const target = reply as { header(name: string, value: string): void };
      for (const [name, value] of Object.entries(DASHBOARD_HEADERS)) target.header(name, value);
    },
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/dashboard', (_request, reply) => {
    void reply.redirect(DASHBOARD_PREFIX, 308);
  });
}

/** public/dashboard of the package: found from src/ (ts-jest) and from dist/src/ (built) alike. */
export function dashboardRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'public', 'dashboard');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`public/dashboard/index.html not found above ${from}`);
  }
}
