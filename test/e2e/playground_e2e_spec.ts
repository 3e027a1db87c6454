/**
 * The browser playground end to end: Debian's Chromium (WebGL2 through SwiftShader) driven by
 * playwright-core opens the built page (npm run build) served by scripts/playground-server.cjs,
 * trains in it, inspects, analyses the early exit, loads a model saved by `tfjs-snn train` in Node
 * (by URL and by file picker) and compares its logits with Node's. Screenshot: build/e2e/playground.png.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {execFileSync} from 'node:child_process';
import {mkdirSync, rmSync} from 'node:fs';
import {join} from 'node:path';
import {Browser, Page} from 'playwright-core';

import {data, io} from '../../src/index';
import {expectSameLogits, MINUTE, points, startBrowser, state, text, untilIdle} from './playground_page';

const OUT = 'build/e2e';
const CLI_RUN = join(OUT, 'cli-run');
const COMPARED = 32; // test images whose logits are compared with Node's

/** Trains a small model with the command, as a Node user would, and returns Node's logits on the test images. */
async function modelSavedByTheCli(): Promise<{logits: number[][]; labels: number[]; weights: number}> {
  rmSync(CLI_RUN, {recursive: true, force: true});
  execFileSync(
    'node',
    [
      'bin/tfjs-snn.cjs',
      'train',
      '--epochs',
      '1',
      '--limit-train',
      '128',
      '--limit-test',
      '32',
      '--time-steps',
      '3',
      '--batch-size',
      '32',
      '--backend',
      'wasm',
      '--out',
      CLI_RUN,
    ],
    {stdio: 'pipe'}
  );
  await tf.setBackend('cpu');
  const model = await tfl.loadLayersModel(io.fileSystem(join(CLI_RUN, 'model')));
  const test = await data.loadIdxDataset('data/fashion-mnist-subset', {split: 'test'});
  const {x, y} = data.toTensors(test, {limit: COMPARED, normalize: 'fashion-mnist'}); // as the command does
  const output = model.predict(x) as tf.Tensor2D;
  const logits = await output.array();
  tf.dispose([x, y, output]);
  const weights = model.weights.length;
  model.dispose();
  return {logits, labels: Array.from(test.labels.subarray(0, COMPARED)), weights};
}

describe('the browser playground (Chromium, WebGL through SwiftShader)', () => {
  let browser: Browser;
  let page: Page;
  let server: {url: string; close(): Promise<void>};
  let node: {logits: number[][]; labels: number[]; weights: number};
  let tensorsAtStart = 0;
  const consoleErrors: string[] = [];

  async function openPage(options: {withoutWebGL?: boolean} = {}): Promise<Page> {
    const opened = await browser.newPage({viewport: {width: 1280, height: 900}});
    opened.on('console', message => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    opened.on('pageerror', error => consoleErrors.push(`uncaught: ${error.message}`));
    if (options.withoutWebGL) {
      // As a browser without WebGL: every canvas (tfjs uses an OffscreenCanvas where there is one) refuses it.
      await opened.addInitScript(() => {
        for (const canvas of [HTMLCanvasElement, OffscreenCanvas]) {
          const original = canvas.prototype.getContext as (...args: unknown[]) => unknown;
          (canvas.prototype as {getContext: unknown}).getContext = function (
            this: unknown,
            kind: string,
            ...rest: unknown[]
          ) {
            return kind.includes('webgl') ? null : original.call(this, kind, ...rest);
          };
        }
      });
    }
    await opened.goto(server.url);
    await opened.evaluate(() => window.playground.ready);
    return opened;
  }

  beforeAll(async () => {
    mkdirSync(OUT, {recursive: true});
    node = await modelSavedByTheCli();
    ({browser, server} = await startBrowser({'/runs/': OUT}));
    page = await openPage();
  }, 4 * MINUTE);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('opens on WebGL with the embedded data loaded', async () => {
    expect((await state(page)).backend).toBe('webgl');
    expect(await text(page, '#backend')).toContain('webgl · WebGL 2');
    expect(await page.isVisible('#notice')).toBe(false);
    expect(await text(page, '#status')).toContain('ready: 2000 training and 1000 test images');
    tensorsAtStart = await page.evaluate(() => window.playground.memory().numTensors);
  });

  it(
    'trains with model.fit: live charts, pause holds, stop ends early, accuracy above chance',
    async () => {
      for (const [field, value] of [
        ['#time-steps', '2'],
        ['#batch-size', '16'],
        ['#train-images', '256'],
        ['#epochs', '1'],
        ['#test-images', '128'],
      ]) {
        await page.fill(field, value);
      }
      await page.click('#train');
      await page.waitForFunction(() => window.playground.state.batchesDone >= 3, null, {timeout: 2 * MINUTE});
      const lossPoints = await points(page, 'loss-chart');
      expect(lossPoints).toBeGreaterThanOrEqual(3);
      expect(await page.locator('#loss-chart svg path').count()).toBeGreaterThan(0);

      // The page answers while it trains, between batches: its answers find training under way at three different
      // batch counts (a page that did not yield while training would answer only once training had ended). No
      // wall-clock bound, which a busy machine could break.
      const seen = new Set<number>();
      for (let now = await state(page); now.busy && seen.size < 3; now = await state(page)) seen.add(now.batchesDone);
      expect(seen.size)
        .withContext(`batch counts seen while training: ${[...seen]}`)
        .toBe(3);

      await page.click('#pause');
      await page.waitForFunction(() => window.playground.state.run?.isHeld === true, null, {timeout: MINUTE});
      const held = (await state(page)).batchesDone;
      await page.waitForTimeout(4000);
      expect((await state(page)).batchesDone).toBe(held);
      expect(await text(page, '#pause')).toBe('Resume');
      await page.click('#pause');
      await page.waitForFunction(n => window.playground.state.batchesDone >= n, held + 2, {timeout: MINUTE});
      expect(await points(page, 'loss-chart')).toBeGreaterThan(lossPoints); // the charts go on updating

      await page.waitForFunction(() => window.playground.state.batchesDone >= 10, null, {timeout: 2 * MINUTE});
      await page.click('#stop');
      await untilIdle(page, 2 * MINUTE);
      const after = await state(page);
      expect(after.batchesDone).toBeGreaterThanOrEqual(10);
      expect(after.batchesDone).toBeLessThan(16); // stopped before the epoch's 16 batches
      expect(after.history.loss.length).toBe(after.batchesDone);
      expect(after.history.loss.every(Number.isFinite)).toBe(true);
      expect(after.history.accuracy.every(a => a >= 0 && a <= 1)).toBe(true);
      expect(await points(page, 'loss-chart')).toBe(after.batchesDone);
      expect(await points(page, 'rates-chart')).toBe(3); // lif1, lif2, lif3
      expect(after.modelSource).toContain('trained in this page');
      expect(after.lastEvaluation!.count).toBe(128);
      expect(after.lastEvaluation!.accuracy).toBeGreaterThan(0.25); // chance is 0.1
      expect(await text(page, '#evaluation')).toContain('Test accuracy on the first 128 test images');
      expect(await text(page, '#progress-text')).toMatch(
        /^epoch 1\/1 · batch \d+\/16 · .* · lr 0\.00100 · .* · stopped$/
      );
    },
    8 * MINUTE
  );

  it(
    'inspects one test image: input per step, spike raster, the prediction as it forms',
    async () => {
      await page.fill('#image-index', '5');
      await page.click('#inspect');
      await untilIdle(page, MINUTE);
      expect(await text(page, '#inspect-result')).toMatch(
        new RegExp(
          '^Image #5, label \\S.*\\. Prediction after each step: .+ → .+ \\((correct|wrong)\\)\\. The confidence ' +
            'policy \\(margin 0\\.5, patience 2\\) stops it after [12] of 2 steps with \\S.*\\.$'
        )
      );
      expect(await page.locator('#input-frames canvas').count()).toBe(2);
      // The count the raster drew (the attribute is null when it is not set, and Number(null) is 0).
      const spikes = await page.getAttribute('#raster', 'data-spikes');
      expect(spikes).withContext('#raster data-spikes').toMatch(/^\d+$/);
      expect(Number(spikes)).toBeLessThanOrEqual(256 * 2); // lif3's 256 neurons × 2 steps
      expect(await text(page, '#raster-caption')).toMatch(
        new RegExp(`^spike raster of 'lif3', the last spiking layer \\(all 256 neurons × 2 steps\\): ${spikes} spikes$`)
      );
      // A dark cell is drawn per spike on a white canvas: some pixel is not white exactly when there are spikes.
      const drawn = await page.$eval('#raster', canvas => {
        const {data} = (canvas as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 400, 160);
        let count = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] < 3 * 255) count++;
        return count;
      });
      expect(drawn > 0)
        .withContext(`${drawn} pixels drawn for ${spikes} spikes`)
        .toBe(Number(spikes) > 0);
      expect(await points(page, 'prediction-chart')).toBe(2 * 10);
    },
    2 * MINUTE
  );

  it(
    'shows the gamma profile, the exit step, accuracy by steps and the confidence exits',
    async () => {
      await page.fill('#test-images', '64');
      await page.click('#analyse');
      await untilIdle(page, 3 * MINUTE);
      expect(await points(page, 'gamma-chart')).toBe(3 * 2); // 3 BNTT layers × 2 steps
      expect(await points(page, 'steps-chart')).toBe(2);
      expect(await points(page, 'exits-chart')).toBe(2);
      expect(await text(page, '#exit-step')).toMatch(/^γ rule at 0\.50: run [12] of 2 steps .*Test accuracy/);
      expect(await text(page, '#exit-result')).toMatch(/on 64 test images: [12]\.\d\d steps on average instead of 2/);
      await page.screenshot({path: join(OUT, 'playground.png'), fullPage: true});
    },
    4 * MINUTE
  );

  it(
    'loads a model saved by tfjs-snn train in Node from a URL: the same logits as Node',
    async () => {
      await page.fill('#test-images', String(COMPARED));
      await page.fill('#model-url', '/runs/cli-run/model/model.json');
      await page.click('#load-url');
      await untilIdle(page, 2 * MINUTE);
      expect((await state(page)).modelSource).toBe('loaded from /runs/cli-run/model/model.json');
      // Only the loaded model's weights are held: the model trained before, its optimizer state and every
      // intermediate of training, evaluation, inspection and analysis have been disposed.
      expect(await page.evaluate(() => window.playground.memory().numTensors)).toBe(tensorsAtStart + node.weights);
      const differing = expectSameLogits(
        await page.evaluate(n => window.playground.predict(0, n), COMPARED),
        node.logits
      );
      const nodeCorrect = node.logits.filter((row, i) => row.indexOf(Math.max(...row)) === node.labels[i]).length;
      // An image whose logits differ by a spike may change its predicted class, no other.
      expect(Math.abs((await state(page)).lastEvaluation!.accuracy - nodeCorrect / COMPARED)).toBeLessThanOrEqual(
        differing / COMPARED
      );
    },
    3 * MINUTE
  );

  it(
    'loads the same model from files picked by the user',
    async () => {
      await page.setInputFiles('#model-files', [
        join(CLI_RUN, 'model', 'model.json'),
        join(CLI_RUN, 'model', 'weights.bin'),
      ]);
      await page.click('#load-files');
      await untilIdle(page, 2 * MINUTE);
      expect((await state(page)).modelSource).toBe('loaded from model.json + weights.bin');
      expect(await page.evaluate(() => window.playground.memory().numTensors)).toBe(tensorsAtStart + node.weights);
      expectSameLogits(await page.evaluate(n => window.playground.predict(0, n), COMPARED), node.logits);
    },
    3 * MINUTE
  );

  it(
    'runs the pretrained model that ships with the page',
    async () => {
      await page.fill('#model-url', 'models/fmnist-bntt-t4/model.json');
      await page.click('#load-url');
      await untilIdle(page, 2 * MINUTE);
      expect((await state(page)).lastEvaluation!.accuracy).toBeGreaterThan(0.8);
      expect(await text(page, '#exit-step')).toContain('γ rule at 0.50: run 3 of 4 steps');
    },
    3 * MINUTE
  );

  it(
    'trains the neuron picked in the selector (if): its layers, their firing rates, a finite loss',
    async () => {
      await page.selectOption('#neuron', 'if');
      for (const [field, value] of [
        ['#time-steps', '2'],
        ['#batch-size', '16'],
        ['#train-images', '64'],
        ['#epochs', '1'],
        ['#test-images', '32'],
      ]) {
        await page.fill(field, value);
      }
      await page.click('#train');
      await page.waitForFunction(() => window.playground.state.batchesDone >= 1, null, {timeout: 2 * MINUTE});
      await untilIdle(page, 3 * MINUTE);
      const names = await page.evaluate(() =>
        (window.playground.state as unknown as {model: {layers: Array<{name: string}>}}).model.layers.map(l => l.name)
      );
      expect(names.filter(n => /^(lif|plif|if|alif|cubaLif)\d/.test(n))).toEqual(['if1', 'if2', 'if3']);
      const after = await state(page);
      expect(after.batchesDone).toBe(4);
      expect(after.history.loss.every(Number.isFinite)).toBe(true);
      expect(await points(page, 'rates-chart')).toBe(3); // if1, if2, if3
      await page.selectOption('#neuron', 'lif');
    },
    4 * MINUTE
  );

  it(
    'explains bad settings in the status line',
    async () => {
      await page.fill('#batch-size', '0');
      await page.click('#train');
      await page.waitForFunction(() => document.querySelector('#status')!.textContent!.startsWith('Error'), null, {
        timeout: MINUTE,
      });
      expect(await text(page, '#status')).toBe("Error: 'batch size' must be an integer from 1 to 512; got '0'");
      await page.fill('#model-url', '/runs/no-such-model/model.json');
      const before = consoleErrors.length;
      await page.click('#load-url');
      await page.waitForFunction(
        () => document.querySelector('#status')!.textContent!.startsWith('Error: cannot load'),
        null,
        {timeout: MINUTE}
      );
      expect(await text(page, '#status')).toMatch(
        /^Error: cannot load a model from '\/runs\/no-such-model\/model\.json': /
      );
      // The browser logs the missing model's 404 itself, as it should: that one message is expected.
      for (let waited = 0; consoleErrors.length === before && waited < 10_000; waited += 100)
        await page.waitForTimeout(100);
      const logged = consoleErrors.splice(before);
      expect(logged.length).toBe(1);
      expect(logged[0]).toContain('status of 404');
    },
    2 * MINUTE
  );

  it(
    'falls back to the cpu backend, with a notice, where WebGL is unavailable',
    async () => {
      const fallback = await openPage({withoutWebGL: true});
      expect((await state(fallback)).backend).toBe('cpu');
      expect(await fallback.isVisible('#notice')).toBe(true);
      expect(await text(fallback, '#notice')).toContain('WebGL is not available in this browser');
      expect(await text(fallback, '#status')).toContain('ready');
      await fallback.close();
    },
    2 * MINUTE
  );

  it('logged no errors to the console', () => {
    expect(consoleErrors).toEqual([]);
  });
});
