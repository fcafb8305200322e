/**
 * A real headless Chromium for the dashboard tests, driven by playwright-core: `MXX_CHROMIUM=/path`
 * if set, else the one inside @sparticuz/chromium (Linux x64, comes with `npm ci`). Elsewhere the
 * files skip, saying why. Screenshots go to test-output/dashboard/; with MXX_DOCS_SCREENSHOTS=1
 * the README's two are written to docs/ as well.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../../bench/lib/chromium.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SHOTS = join(ROOT, 'test-output', 'dashboard');

export const chromiumChoice = await findChromium();
export const skipReason = 'skip' in chromiumChoice ? `${chromiumChoice.skip} to run the dashboard tests` : null;
if (skipReason) console.warn(`dashboard browser tests skipped: ${skipReason}`);

export async function launchBrowser(): Promise<Browser> {
  if (!('executablePath' in chromiumChoice)) throw new Error(skipReason ?? 'no browser');
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: chromiumChoice.executablePath, args: CHROMIUM_ARGS, headless: true });
}

export interface OpenPage {
  page: Page;
  /** Uncaught errors and CSP refusals in the page: none is allowed. */
  problems: string[];
  /** Every request the page made, as URLs. */
  requests: string[];
  close(): Promise<void>;
}

export async function openPage(
  browser: Browser,
  url: string,
  { width = 1280, height = 800, colorScheme = 'light' }: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {},
): Promise<OpenPage> {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content.Security.Policy|Refused to/i.test(message.text())) problems.push(`csp: ${message.text()}`);
  });
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(url);
  return {
    page,
    problems,
    requests,
    close: async () => {
      expect(problems, 'errors in the page').toEqual([]);
      await context.close();
    },
  };
}

/** Saves a screenshot under test-output/dashboard/ (and docs/<docs> with MXX_DOCS_SCREENSHOTS=1). */
export async function screenshot(page: Page, name: string, docs?: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (docs && process.env.MXX_DOCS_SCREENSHOTS === '1') {
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    copyFileSync(file, join(ROOT, 'docs', docs));
  }
}
