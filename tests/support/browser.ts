import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { requireTool } from './project-tools';

/**
 * Flags that work in containers and CI machines: no sandbox (no user namespaces there), no GPU, and
 * nothing that reaches the network on its own.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/**
 * A headless Chromium: the machine's, or the one scripts/tools.sh brought from Debian's packages
 * (`.cache/bin/chromium`). Nothing downloads a browser here: without one the test fails saying how to
 * bring it. Playwright gives each launch a fresh profile directory.
 */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const executablePath = requireTool('chromium');
  const downloads = mkdtempSync(join(tmpdir(), 'chromium-downloads-'));
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [...CHROMIUM_FLAGS],
    downloadsPath: downloads,
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(downloads, { recursive: true, force: true });
    },
  };
}
