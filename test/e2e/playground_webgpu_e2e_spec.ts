/**
 * The playground on WebGPU (Chromium's WebGPU through SwiftShader, scripts/chromium-flags.cjs): the backend
 * selector, the adapter in the badge, a few training batches and an inspection on webgpu, and the fallback to
 * webgl where the browser has no WebGPU. Where this Chromium cannot create a WebGPU adapter, the webgpu specs
 * are pending with the page's reason (never passed silently).
 */
import {Browser, Page} from 'playwright-core';

import {MINUTE, points, startBrowser, state, text, untilIdle} from './playground_page';

describe('the browser playground on webgpu (Chromium, WebGPU through SwiftShader)', () => {
  let browser: Browser;
  let server: {url: string; close(): Promise<void>};
  let page: Page;
  /** Why the page is not on webgpu, or null when it is. */
  let unavailable: string | null = null;
  const consoleErrors: string[] = [];

  async function open(query: string, init?: () => void): Promise<Page> {
    const opened = await browser.newPage({viewport: {width: 1280, height: 900}});
    opened.on('console', message => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    opened.on('pageerror', error => consoleErrors.push(`uncaught: ${error.message}`));
    if (init != null) await opened.addInitScript(init);
    await opened.goto(`${server.url}${query}`);
    await opened.evaluate(() => window.playground.ready);
    return opened;
  }

  beforeAll(async () => {
    ({browser, server} = await startBrowser());
    page = await open('?backend=webgpu');
    if ((await state(page)).backend !== 'webgpu') unavailable = await text(page, '#notice');
  }, 2 * MINUTE);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('runs on webgpu when asked, the adapter in the badge and the selector on webgpu', async () => {
    if (unavailable != null) {
      pending(`no WebGPU in this Chromium: the page says "${unavailable}"`);
      return;
    }
    expect(await text(page, '#backend')).toMatch(/^backend: webgpu · adapter \S.* · tfjs 4\.22\.0 · tfjs-snn /);
    console.log(`    ${await text(page, '#backend')}`);
    expect(await page.isVisible('#notice')).toBe(false);
    expect(await page.inputValue('#backend-select')).toBe('webgpu');
    expect(await page.locator('#backend-select option').allTextContents()).toEqual([
      'webgl (GPU, fused SNN kernels)',
      'webgpu (GPU compute, fused LIF kernels)',
      'cpu (JavaScript, slow)',
    ]);
  });

  it(
    'trains a few batches on webgpu and evaluates the model on the test images',
    async () => {
      if (unavailable != null) {
        pending(`no WebGPU in this Chromium: the page says "${unavailable}"`);
        return;
      }
      for (const [field, value] of [
        ['#time-steps', '2'],
        ['#batch-size', '16'],
        ['#train-images', '32'],
        ['#epochs', '1'],
        ['#test-images', '32'],
      ]) {
        await page.fill(field, value);
      }
      await page.click('#train');
      await untilIdle(page, 4 * MINUTE);
      const trained = await state(page);
      expect(trained.batchesDone).toBe(2);
      expect(trained.history.loss.length).toBe(2);
      expect(trained.history.loss.every(Number.isFinite)).toBe(true);
      expect(await points(page, 'rates-chart')).toBe(3); // lif1, lif2, lif3
      expect(trained.lastEvaluation!.count).toBe(32);
      expect(await text(page, '#evaluation')).toMatch(
        /^Test accuracy on the first 32 test images: \d+\.\d % \(webgpu\)\.$/
      );
      // tfjs-backend-webgpu keeps every GPU buffer it made in a pool. Under SwiftShader, after a training run the
      // next upload (the test images of another evaluation, or one image to inspect) was refused: "createBuffer
      // failed, size (6272) is too large for the implementation when mappedAtCreation == true" (docs/browser.md).
      const pool = await page.evaluate(() => {
        const tfjs = (window as unknown as {tf: {backend(): {bufferManager: {numBytesAllocated: number}}}}).tf;
        return tfjs.backend().bufferManager.numBytesAllocated;
      });
      console.log(`    webgpu buffer pool after training: ${(pool / 2 ** 20).toFixed(0)} MiB`);
    },
    6 * MINUTE
  );

  it(
    'the selector reloads the page on the backend picked, keeping the other parameters',
    async () => {
      const switched = await open('?backend=webgpu&dataset=synthetic-events');
      try {
        await Promise.all([switched.waitForURL(/backend=cpu/), switched.selectOption('#backend-select', 'cpu')]);
        await switched.evaluate(() => window.playground.ready);
        expect((await state(switched)).backend).toBe('cpu');
        expect(new URL(switched.url()).searchParams.get('dataset')).toBe('synthetic-events');
        expect(await text(switched, '#notice')).toBe('Running on the cpu backend, as the URL asked (?backend=cpu).');
        expect(await switched.inputValue('#backend-select')).toBe('cpu');
      } finally {
        await switched.close();
      }
    },
    2 * MINUTE
  );

  it(
    'falls back to webgl, saying why, in a browser without WebGPU; an unknown backend is named',
    async () => {
      const without = await open('?backend=webgpu', () => {
        Object.defineProperty(Navigator.prototype, 'gpu', {get: () => undefined});
      });
      try {
        expect((await state(without)).backend).toBe('webgl');
        expect(await text(without, '#notice')).toBe(
          'WebGPU is not available here (this browser has no navigator.gpu), so the page runs on webgl.'
        );
        expect(await without.inputValue('#backend-select')).toBe('webgl');
      } finally {
        await without.close();
      }
      const unknown = await browser.newPage(); // no console listener: the page reports its error as uncaught
      try {
        await unknown.goto(`${server.url}?backend=metal`);
        await unknown.evaluate(() => window.playground.ready.catch(() => undefined));
        expect(await text(unknown, '#status')).toBe(
          "Error: the URL parameter 'backend' must be 'webgl', 'webgpu', 'cpu'; got 'metal'"
        );
      } finally {
        await unknown.close();
      }
    },
    2 * MINUTE
  );

  it('logged no errors to the console', () => {
    expect(consoleErrors).toEqual([]);
  });
});
