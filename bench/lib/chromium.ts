/**
 * Which headless Chromium the dashboard tests and the dashboard bench drive with playwright-core:
 * `MXX_CHROMIUM=/path` if set, else the one inside @sparticuz/chromium (Linux x64, comes with
 * `npm ci`); elsewhere, why there is none.
 */

/**
 * What Chromium needs on this machine kind (root, a closed network): no sandbox as root, and none
 * of the background connections it would otherwise try at every start.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--no-default-browser-check',
  '--font-render-hinting=none',
];

/** The browser to use, or why there is none. */
export async function findChromium(): Promise<{ executablePath: string } | { skip: string }> {
  if (process.env.MXX_CHROMIUM) return { executablePath: process.env.MXX_CHROMIUM };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { skip: `no Chromium for ${process.platform}-${process.arch} comes with npm ci: set MXX_CHROMIUM=/path/to/chromium` };
  }
  try {
    const { default: chromium } = await import('@sparticuz/chromium');
    return { executablePath: await chromium.executablePath() };
  } catch (error) {
    return { skip: `@sparticuz/chromium could not unpack its Chromium (${String(error)}); set MXX_CHROMIUM=/path/to/chromium` };
  }
}
