// Debian's Chromium through playwright-core, the one way every suite and benchmark starts it:
// headless as root, and with the background services off (this machine's network is closed,
// so Chromium's own connections would only fail, many at a time). Never downloads a browser.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || process.env.CHROMIUM || "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

/**
 * Launches Chromium with a fresh profile. `close()` stops it and removes the profile.
 * @param {object} [options] extra `launchPersistentContext` options (e.g. viewport).
 */
export async function launchChromium(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), "app-passwords-chromium-"));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      ...options,
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
