/**
 * A headless Chromium that installs from the npm registry: `@sparticuz/chromium` ships its
 * binary inside the package (unpacked into the OS temp directory on first use), so `npm ci` is
 * all a fresh machine needs. Playwright's and Puppeteer's own browser downloads come from hosts
 * other than the registry, and a system `chromium` is not there on a fresh machine.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';

/** Where the bundled binary is and the flags it needs, as `@sparticuz/chromium` says. */
interface BundledChromium {
  readonly executablePath: string;
  readonly args: readonly string[];
}

/**
 * Asks `@sparticuz/chromium` for its binary in a child Node process: the package is ESM only,
 * and jest loads this module as CommonJS, where an ESM import fails.
 */
async function bundledChromium(): Promise<BundledChromium> {
  const script = [
    "import chromium from '@sparticuz/chromium';",
    'const executablePath = await chromium.executablePath();',
    'process.stdout.write(JSON.stringify({ executablePath, args: chromium.args }));',
  ].join('\n');
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: __dirname,
    timeout: 120_000,
  });
  return JSON.parse(stdout) as BundledChromium;
}

/** Thrown when the bundled Chromium cannot be unpacked or started. */
export class HeadlessBrowserError extends Error {
  constructor(cause: unknown) {
    const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    super(
      `could not start the headless Chromium of @sparticuz/chromium (${why}); run \`npm ci\` to reinstall it, and check that the OS temp directory is writable`,
    );
    this.name = 'HeadlessBrowserError';
  }
}

/**
 * Flags of `@sparticuz/chromium` that suit one page per Lambda invocation but not a browser
 * that opens and closes many pages: in `--single-process` mode closing a page ends the
 * browser. The web-security switches are dropped so that reports render under the same rules
 * as in a mail client's web view.
 */
const DROPPED_FLAGS = new Set([
  '--single-process',
  '--disable-web-security',
  '--allow-running-insecure-content',
  '--disable-site-isolation-trials',
]);

/** Launches the bundled headless Chromium through playwright-core. The caller closes it. */
export async function launchHeadlessChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  try {
    const bundled = await bundledChromium();
    return await chromium.launch({
      executablePath: bundled.executablePath,
      args: bundled.args.filter((f) => !DROPPED_FLAGS.has(f)),
    });
  } catch (err) {
    throw new HeadlessBrowserError(err);
  }
}
