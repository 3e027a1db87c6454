/**
 * What the playground's end-to-end specs share: the page's state as `window.playground` exposes it, readers of the
 * page, waiting for a task to end, and the browser and server they run on (Debian's Chromium, WebGL 2 through
 * SwiftShader, driven by playwright-core; the built page served by scripts/playground-server.cjs).
 */
import {resolve} from 'node:path';
import {Browser, chromium, Page} from 'playwright-core';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {startServer} = require(resolve('scripts/playground-server.cjs'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CHROMIUM_FLAGS: string[] = require(resolve('scripts/chromium-flags.cjs'));

export const MINUTE = 60_000;

/**
 * The page's logits against Node's for the same model and examples (webgl against cpu): each image's within 1e-4 of
 * the largest logit, except at most one image in 32, which may differ by a spike. The two backends add in different
 * orders (~1e-7 apart), and a membrane that close to its threshold fires on one and not on the other: a model
 * trained on 2026-12-04 had one such image of 32 (7e-2 off; the other 31 within 3.6e-7). A wrong weight or op
 * moves every image. Returns how many images differed, for the accuracy the page reports.
 */
export function expectSameLogits(actual: number[][], expected: number[][]): number {
  expect(actual.length).toBe(expected.length);
  const largest = Math.max(...expected.flat().map(Math.abs));
  const errors = actual.map((row, i) => Math.max(...row.map((v, j) => Math.abs(v - expected[i][j]))) / largest);
  const differing = errors.filter(error => !(error < 1e-4)).length;
  expect(differing)
    .withContext(
      `images whose logits differ by more than 1e-4 (relative errors ${errors.map(e => e.toExponential(1))})`
    )
    .toBeLessThanOrEqual(Math.floor(expected.length / 32));
  return differing;
}

export interface PageState {
  backend: string;
  batchesDone: number;
  busy: boolean;
  modelSource: string;
  history: {loss: number[]; accuracy: number[]; testAccuracy: number[]};
  lastEvaluation: {accuracy: number; count: number} | null;
  run: {isHeld: boolean} | null;
}

declare global {
  interface Window {
    playground: {
      state: PageState;
      ready: Promise<void>;
      memory(): {numTensors: number};
      predict(start: number, count: number): Promise<number[][]>;
      animation(): {playing: boolean; frame: number};
    };
  }
}

export const state = (page: Page) => page.evaluate(() => window.playground.state as unknown as PageState);
export const text = (page: Page, selector: string) =>
  page.evaluate(s => document.querySelector(s)?.textContent ?? '', selector);
export const points = async (page: Page, chart: string) => Number(await page.getAttribute(`#${chart}`, 'data-points'));
export const tensors = (page: Page) => page.evaluate(() => window.playground.memory().numTensors);

/** Waits until the page's task has ended; an error in the status line fails the spec. */
export async function untilIdle(page: Page, timeout: number): Promise<void> {
  await page.waitForFunction(() => window.playground.state.busy === false, null, {timeout, polling: 250});
  const status = await page.getAttribute('#status', 'class');
  if (status?.includes('error')) throw new Error(`the page shows an error: ${await text(page, '#status')}`);
}

/** The playground server on a free port (`mounts`: extra folders by URL prefix) and a headless Chromium. */
export async function startBrowser(
  mounts: Record<string, string> = {}
): Promise<{browser: Browser; server: {url: string; close(): Promise<void>}}> {
  const server = await startServer({root: 'build/playground', port: 0, mounts});
  const browser = await chromium.launch({
    executablePath: process.env.CHROME_BIN || '/usr/bin/chromium',
    args: CHROMIUM_FLAGS.filter(f => !f.startsWith('--headless')),
    headless: true,
  });
  return {browser, server};
}
