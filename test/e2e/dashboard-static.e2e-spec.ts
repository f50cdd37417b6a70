import { dashboardRoot } from '../../src/dashboard/dashboard-static';
import { type TestApp, startTestApp } from '../support/test-app';

/** The dashboard's files as the app serves them (no browser): where, with which headers, and nothing else. */
describe('GET /dashboard (static files)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ADMIN_TOKEN: 'dashboard-static-token-0123456789' });
  });
  afterAll(async () => {
    await t?.close();
  });
  const get = (url: string) => t.app.inject({ method: 'GET', url });

  it('redirects /dashboard to /dashboard/ and serves the page there without a token', async () => {
    const redirect = await get('/dashboard');
    expect(redirect.statusCode).toBe(308);
    expect(redirect.headers.location).toBe('/dashboard/');
    const page = await get('/dashboard/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('id="sign-in"');
  });

  it('keeps the page to its own origin: a content security policy, no framing, no referrer', async () => {
    for (const file of ['/dashboard/', '/dashboard/dashboard.js', '/dashboard/dashboard.css']) {
      const answer = await get(file);
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
      expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('serves nothing outside public/dashboard and answers 404 for unknown files', async () => {
    expect((await get('/dashboard/../package.json')).statusCode).toBe(404);
    expect((await get('/dashboard/%2e%2e/package.json')).statusCode).toBe(404);
    expect((await get('/dashboard/nope.js')).statusCode).toBe(404);
  });

  it('finds public/dashboard from the source tree and from a built dist/src tree alike', () => {
    expect(dashboardRoot()).toMatch(/public\/dashboard$/);
    expect(dashboardRoot(`${dashboardRoot()}/../../dist/src/dashboard`)).toBe(dashboardRoot());
  });
});
