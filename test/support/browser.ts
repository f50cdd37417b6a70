import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';

/** Debian's chromium (installed by .ci/run), headless; never a downloaded browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Screenshots of browser tests land here: CI keeps the directory as an artifact. */
export const ARTIFACTS_DIR = process.env.TEST_ARTIFACTS_DIR ?? join(__dirname, '..', '..', 'test-artifacts');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-dev-shm-usage',
      '--disable-gpu',
      '--no-first-run',
      '--disable-extensions',
    ],
  });
}

/** Saves `<suite>/<name>.png` under ARTIFACTS_DIR and returns the path. */
export async function screenshot(page: Page, suite: string, name: string): Promise<string> {
  const dir = join(ARTIFACTS_DIR, suite);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
