/*
 * Screenshots of the console's pages for docs/console.md, taken in the same headless Chromium as the
 * browser tests, from a running console (e.g. the demo's: it prints the URL and the sign-in).
 *
 *   node dist/scripts/console-screenshots.js --url http://127.0.0.1:3005 --user demo --password PW [--out docs/console]
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../tests/support/browser';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      out: { type: 'string', default: 'docs/console' },
    },
  });
  if (!values.url || !values.user || !values.password) {
    console.error('usage: console-screenshots --url URL --user NAME --password PW [--out DIR]');
    return 64;
  }
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  const { browser, close } = await launchChromium();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    await page.goto(`${values.url}/login`);
    await page.screenshot({ path: join(out, 'sign-in.png') });
    await page.fill('input[name="username"]', values.user);
    await page.fill('input[name="password"]', values.password);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${values.url}/`);
    await page.locator('#live.on').waitFor({ timeout: 10_000 });
    await page.locator('tr[data-alert-id]').first().waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(out, 'queue.png') });
    // An open score alert whose card has some history: the case page with the verdict buttons.
    const href = await page.locator('#scores tr[data-alert-id] a.button').first().getAttribute('href');
    if (href) {
      await page.goto(`${values.url}${href}`);
      await page.screenshot({ path: join(out, 'case.png'), fullPage: true });
    }
    await page.goto(`${values.url}/models`);
    // The newest version's lineage, gate metrics and audit trail, unfolded.
    const summary = page.locator('details > summary').first();
    if ((await summary.count()) > 0) await summary.click();
    await page.screenshot({ path: join(out, 'models.png'), fullPage: true });
    await page.goto(`${values.url}/drift`);
    await page.screenshot({ path: join(out, 'drift.png'), fullPage: true });
    console.log(`screenshots in ${out}`);
    return 0;
  } finally {
    await close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
