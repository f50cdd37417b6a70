/// <reference lib="dom" />
import { type Browser, type Page } from 'playwright-core';
import { launchBrowser, screenshot } from '../support/browser';
import { ADMIN_TOKEN, serverKey, useFailoverWorld } from '../support/failover-app';

jest.setTimeout(120_000);

const SUITE = 'dashboard';

/**
 * The admin dashboard in a real browser (Debian's chromium through playwright-core) against
 * the whole app on a private MariaDB pair: sign-in, the topology, a live failover seen
 * without a reload, a backup started from the page, and a wrong token. A screenshot of each
 * state is saved under test-artifacts/dashboard/.
 */
describe('admin dashboard in a browser (real MariaDB pair)', () => {
  const world = useFailoverWorld({
    replicas: 1,
    serverIdBase: 150,
    replicatingStandbys: 1,
    env: { BACKUP_FULL_CRON: 'off', BACKUP_INCREMENTAL_CRON: 'off', BACKUP_TEST_RESTORE_CRON: 'off' },
  });
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });
  afterEach(async () => {
    await page?.close();
  });

  /** `live`: no poll, so only the event stream can move the page. */
  const open = (live = false) => page.goto(`${world.app.baseUrl}/dashboard${live ? '/?poll=0' : ''}`);
  const signIn = async (token: string) => {
    await page.fill('#token', token);
    await page.click('#sign-in button[type=submit]');
  };
  const row = (port: number) => page.locator(`#servers tr[data-server="${serverKey(port)}"]`);

  it('a wrong token shows an error and no data, and is not kept', async () => {
    await open();
    await signIn('not-the-admin-token');
    await page.locator('#sign-in-error').waitFor({ state: 'visible' });
    expect(await page.textContent('#sign-in-error')).toMatch(/refused/);
    expect(await page.isVisible('#board')).toBe(false);
    expect(await page.locator('#servers tr').count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await screenshot(page, SUITE, '1-wrong-token');
  });

  it('signs in, keeps the token in session storage only, and shows the topology of the pair', async () => {
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await open();
    await signIn(ADMIN_TOKEN);
    await row(world.cluster.primary.port).waitFor();
    await expect(row(world.cluster.primary.port).getAttribute('data-role')).resolves.toBe('primary');
    await expect(row(world.cluster.replicas[0].port).getAttribute('data-role')).resolves.toBe('standby');
    // State is text as well as colour.
    expect(await row(world.cluster.primary.port).textContent()).toMatch(/primary.*up/);
    expect(await page.textContent('#topology-summary')).toContain('Epoch0');
    expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([ADMIN_TOKEN]);
    expect(requested.some((url) => url.includes(ADMIN_TOKEN))).toBe(false);
    await page.locator('#live[data-state="live"]').waitFor();
    await screenshot(page, SUITE, '2-topology');
    // A phone's width: the same page, no horizontal scroll of the whole page.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, SUITE, '3-phone');
  });

  it('triggers a backup behind a confirmation and watches it complete (moved by the event stream alone)', async () => {
    await open(true);
    await signIn(ADMIN_TOKEN);
    await row(world.cluster.primary.port).waitFor();
    await page.selectOption('#backup-type', 'full');
    await page.click('[data-action="backup"]');
    expect(await page.textContent('#confirm-text')).toMatch(/full backup/);
    await page.click('#confirm-ok');
    await page.locator('#action-result').waitFor({ state: 'visible' });
    expect(await page.textContent('#action-result')).toMatch(/Start backup: started /);
    const done = page.locator('#backup-list tr[data-state="succeeded"]');
    await done.first().waitFor({ timeout: 60_000 });
    expect(await done.first().textContent()).toMatch(/full/);
    await screenshot(page, SUITE, '4-backup-done');
  });

  it('switches to the new primary without a reload when the primary is killed (moved by the event stream alone)', async () => {
    await open(true);
    await signIn(ADMIN_TOKEN);
    await row(world.cluster.primary.port).waitFor();
    // A marker on the window: a reload would lose it.
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await world.cluster.primary.kill();
    await page
      .locator(`#servers tr[data-server="${serverKey(world.cluster.replicas[0].port)}"][data-role="primary"]`)
      .waitFor({ timeout: 60_000 });
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await expect(row(world.cluster.primary.port).getAttribute('data-role')).resolves.toBe('fenced');
    await page.locator('#failover-list li[data-outcome="succeeded"]').first().waitFor();
    expect(await page.textContent('#topology-summary')).toContain('Epoch1');
    await screenshot(page, SUITE, '5-after-failover');
  });
});
