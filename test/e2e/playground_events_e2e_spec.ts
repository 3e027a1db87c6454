/**
 * The playground on event data end to end (Chromium, WebGL 2 through SwiftShader): the dataset selector generates
 * the synthetic event recordings in the page, a model without an encoder trains on them at T 4, the inspector draws
 * the recording's event frames and plays it, the early-exit panel analyses the model, and no tensor outlives a task.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {Browser, Page} from 'playwright-core';

import {data, io} from '../../src/index';
import {expectSameLogits, MINUTE, points, startBrowser, state, tensors, text, untilIdle} from './playground_page';

const OUT = 'build/e2e';
const T = 4;
/** The NIR model that ships with the page (examples/nir-events.mjs, dt 1 ms) and a file another library wrote. */
const SHIPPED_NIR = 'examples/playground/models/synthetic-events.nir';
const SINABS_NIR = 'test/fixtures/nir/cnn_sinabs.nir';
/** Test recordings whose logits are compared with Node's. */
const COMPARED = 64;

/** Pixels of a canvas by colour: white, ON orange (red above blue), OFF blue (blue above red). */
function countColours(page: Page, selector: string) {
  return page.$eval(selector, canvas => {
    const c = canvas as HTMLCanvasElement;
    const {data} = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    const counts = {white: 0, on: 0, off: 0};
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] === 255 && data[i + 1] === 255 && data[i + 2] === 255) counts.white++;
      else if (data[i] > data[i + 2]) counts.on++;
      else if (data[i + 2] > data[i]) counts.off++;
    }
    return counts;
  });
}

const animation = (page: Page) => page.evaluate(() => window.playground.animation());

describe('the browser playground on synthetic events (Chromium, WebGL through SwiftShader)', () => {
  let browser: Browser;
  let page: Page;
  let server: {url: string; close(): Promise<void>};
  let tensorsAtStart = 0;
  let tensorsTrained = 0;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUT, {recursive: true});
    ({browser, server} = await startBrowser());
    page = await browser.newPage({viewport: {width: 1280, height: 900}});
    page.on('console', message => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', error => consoleErrors.push(`uncaught: ${error.message}`));
    await page.goto(server.url);
    await page.evaluate(() => window.playground.ready);
    tensorsAtStart = await tensors(page);
  }, 2 * MINUTE);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it(
    'generates the recordings when picked in the selector; the encoder selector is off',
    async () => {
      expect(await page.isDisabled('#encoder')).toBe(false);
      await page.selectOption('#dataset', 'synthetic-events');
      await untilIdle(page, MINUTE);
      expect(await text(page, '#status')).toMatch(
        /^ready: 1000 training and 300 test recordings of synthetic events \(10 shapes moved along saccades on a 32×32 ON\/OFF sensor\), generated in the page in \d+\.\d s\. Train a model, or load the pretrained one\.$/
      );
      expect(await page.inputValue('#model-url')).toBe('models/synthetic-events.nir');
      expect(await page.isDisabled('#encoder')).toBe(true);
      expect(await page.isVisible('#encoder-note')).toBe(true);
      expect(await page.getAttribute('#test-images', 'max')).toBe('300');
    },
    MINUTE
  );

  it(
    'trains a model that takes the event frames as spike trains (T 4): finite losses and accuracy',
    async () => {
      for (const [field, value] of [
        ['#time-steps', String(T)],
        ['#batch-size', '16'],
        ['#train-images', '64'],
        ['#epochs', '1'],
        ['#test-images', '64'],
      ]) {
        await page.fill(field, value);
      }
      await page.click('#train');
      await untilIdle(page, 4 * MINUTE);
      const after = await state(page);
      expect(after.batchesDone).toBe(4);
      expect(after.history.loss.length).toBe(4);
      expect(after.history.loss.every(Number.isFinite)).toBe(true);
      expect(await points(page, 'loss-chart')).toBe(4);
      expect(await points(page, 'rates-chart')).toBe(3); // lif1, lif2, lif3
      expect(after.lastEvaluation!.count).toBe(64);
      expect(Number.isFinite(after.lastEvaluation!.accuracy)).toBe(true);
      expect(await text(page, '#evaluation')).toContain('Test accuracy on the first 64 test recordings');
      expect(await text(page, '#model-summary')).toMatch(/T = 4 steps, spike-train input\.$/);
      const first = await page.evaluate(
        () => (window.playground.state as unknown as {model: {layers: Array<{name: string}>}}).model.layers[0].name
      );
      expect(first).not.toBe('encoder');
      tensorsTrained = await tensors(page);
    },
    5 * MINUTE
  );

  it(
    'inspects one recording: T event frames in ON/OFF colours, the raster, the prediction as it forms',
    async () => {
      await page.fill('#image-index', '3');
      await page.click('#inspect');
      await untilIdle(page, MINUTE);
      const classes = data.SYNTHETIC_EVENT_CLASSES.join('|');
      expect(await text(page, '#inspect-result')).toMatch(
        new RegExp(
          `^Recording #3, label cross\\. Prediction after each step: (${classes})( → (${classes})){3} ` +
            `\\((correct|wrong)\\)\\. The confidence policy \\(margin 0\\.5, patience 2\\) stops it after [1-4] ` +
            `of 4 steps with (${classes})\\.$`
        )
      );
      expect(await page.locator('#input-frames canvas').count()).toBe(T);
      expect(await text(page, '#input-caption')).toContain('4 frames of event counts');
      // Every frame of a moving shape has ON and OFF events, drawn in their colours on white.
      for (let t = 1; t <= T; t++) {
        const colours = await countColours(page, `#input-frames figure:nth-child(${t}) canvas`);
        expect(colours.on).withContext(`ON pixels in frame ${t}`).toBeGreaterThan(0);
        expect(colours.off).withContext(`OFF pixels in frame ${t}`).toBeGreaterThan(0);
        expect(colours.white)
          .withContext(`white pixels in frame ${t}`)
          .toBeGreaterThan((32 * 32) / 2);
      }
      expect(await text(page, '#raster-caption')).toMatch(/^spike raster of 'lif3', .* \(all 256 neurons × 4 steps\)/);
      expect(await points(page, 'prediction-chart')).toBe(T * 10);
      expect(await tensors(page)).toBe(tensorsTrained);
    },
    2 * MINUTE
  );

  it(
    'plays the recording frame by frame; Stop, and any task, stop the animation',
    async () => {
      expect(await animation(page)).toEqual({playing: false, frame: 0});
      expect(await text(page, '#player-caption')).toMatch(
        /^frame 1 of 32 \(\d+\.\d\d ms of events\), in step 1 of 4 · prediction after this step: \S+ \(\d+ %\)$/
      );
      await page.click('#play');
      expect(await text(page, '#play')).toBe('Stop');
      await page.waitForFunction(() => window.playground.animation().frame >= 9, null, {timeout: MINUTE});
      expect(await text(page, '#player-caption')).toMatch(/in step [2-4] of 4/);
      expect(await page.locator('#input-frames figure.current').count()).toBe(1);
      await page.click('#play');
      const stopped = await animation(page);
      expect(stopped.playing).toBe(false);
      await page.waitForTimeout(1000);
      expect(await animation(page)).toEqual(stopped);
      const colours = await countColours(page, '#player');
      expect(colours.on + colours.off).toBeGreaterThan(0);

      // Playing when a task starts: the task stops it, and nothing moves after.
      await page.click('#play');
      await page.waitForFunction(() => window.playground.animation().frame >= 2, null, {timeout: MINUTE});
      await page.click('#evaluate');
      await untilIdle(page, MINUTE);
      const afterTask = await animation(page);
      expect(afterTask.playing).toBe(false);
      await page.waitForTimeout(1000);
      expect(await animation(page)).toEqual(afterTask);
      expect(await text(page, '#play')).toBe('Play');
      expect(await tensors(page)).toBe(tensorsTrained);
    },
    2 * MINUTE
  );

  it(
    'analyses the early exit of the event-trained model: gamma profile, accuracy by steps, confidence exits',
    async () => {
      await page.click('#analyse');
      await untilIdle(page, 3 * MINUTE);
      expect(await points(page, 'gamma-chart')).toBe(3 * T); // 3 BNTT layers × 4 steps
      expect(await points(page, 'steps-chart')).toBe(T);
      expect(await points(page, 'exits-chart')).toBe(T);
      expect(await text(page, '#exit-step')).toMatch(
        /^γ rule at 0\.50: run [1-4] of 4 steps .*Test accuracy \d+\.\d % after [1-4] steps, \d+\.\d % after all 4\.$/
      );
      expect(await text(page, '#exit-result')).toMatch(
        /^Confidence policy .* on 64 test recordings: [1-4]\.\d\d steps on average instead of 4 .* accuracy \d+\.\d % vs \d+\.\d % with every step\.$/
      );
      expect(await tensors(page)).toBe(tensorsTrained);
      await page.screenshot({path: join(OUT, 'playground-events.png'), fullPage: true});
    },
    4 * MINUTE
  );

  it(
    'refuses a Fashion-MNIST model on event data, and going back to images disposes the event model',
    async () => {
      await page.fill('#model-url', 'models/fmnist-bntt-t4/model.json');
      await page.click('#load-url');
      await page.waitForFunction(() => document.querySelector('#status')!.textContent!.startsWith('Error'), null, {
        timeout: MINUTE,
      });
      expect(await text(page, '#status')).toBe(
        'Error: the model from models/fmnist-bntt-t4/model.json takes 28×28×1 inputs through an encoder and ' +
          'gives 10 classes; the current data need a model for spike trains of 32×32×2 recordings (no encoder) ' +
          'with 10 classes (e.g. tfjs-snn train --dataset synthetic-events)'
      );
      expect(await tensors(page)).toBe(tensorsTrained); // the refused model is disposed; the trained one stays
      await page.selectOption('#dataset', 'fashion-mnist');
      await untilIdle(page, MINUTE);
      expect(await text(page, '#status')).toContain('ready: 2000 training and 1000 test images');
      expect(await page.isDisabled('#encoder')).toBe(false);
      expect(await page.isDisabled('#inspect')).toBe(true); // no model for these data
      expect(await tensors(page)).toBe(tensorsAtStart);
      expect(await animation(page)).toEqual({playing: false, frame: 0});
    },
    2 * MINUTE
  );

  it(
    'opens on the event data with ?dataset=synthetic-events, and explains a dataset it does not know',
    async () => {
      const opened = await browser.newPage();
      try {
        await opened.goto(`${server.url}?dataset=synthetic-events`);
        await opened.evaluate(() => window.playground.ready);
        expect(await text(opened, '#status')).toMatch(
          /^ready: 1000 training and 300 test recordings of synthetic events/
        );
        expect(await opened.inputValue('#dataset')).toBe('synthetic-events');
        expect(await opened.isDisabled('#encoder')).toBe(true);
        await opened.goto(`${server.url}?dataset=mnist`);
        await opened.evaluate(() => window.playground.ready.catch(() => undefined));
        expect(await text(opened, '#status')).toBe(
          "Error: the URL parameter 'dataset' must be 'fashion-mnist' or 'synthetic-events'; got 'mnist'"
        );
      } finally {
        await opened.close();
      }
    },
    2 * MINUTE
  );

  it(
    'runs the NIR model that ships with the page: the logits of io.nir.load in Node, the early-exit analysis',
    async () => {
      await page.selectOption('#dataset', 'synthetic-events');
      await untilIdle(page, MINUTE);
      expect(await page.inputValue('#model-url')).toBe('models/synthetic-events.nir');
      for (const [field, value] of [
        ['#time-steps', String(T)],
        ['#test-images', String(COMPARED)],
        ['#nir-dt', '0.001'],
      ]) {
        await page.fill(field, value);
      }
      await page.click('#load-url');
      await untilIdle(page, 2 * MINUTE);
      expect((await state(page)).modelSource).toBe(
        'loaded from models/synthetic-events.nir (NIR: 4 steps of 0.001 s, mean over time)'
      );
      expect(await text(page, '#model-summary')).toMatch(/T = 4 steps, spike-train input\.$/);
      // Node: the same file through io.nir.load on the cpu backend, on the page's first test recordings.
      const model = await io.nir.load(SHIPPED_NIR, {dt: 1e-3, timeSteps: T, readout: 'timeAverage'});
      const {x, y} = data.eventTensors(data.syntheticEvents({samples: 300, seed: 1}), {timeSteps: T, limit: COMPARED});
      const logits = model.predict(x) as tf.Tensor;
      const nodeLogits = logits.arraySync() as number[][];
      const labels = tf.tidy(() => tf.argMax(y, 1).arraySync() as number[]);
      const weights = model.weights.length;
      tf.dispose([x, y, logits]);
      model.dispose();
      expectSameLogits(await page.evaluate(n => window.playground.predict(0, n), COMPARED), nodeLogits);
      const nodeCorrect = nodeLogits.filter((row, i) => row.indexOf(Math.max(...row)) === labels[i]).length;
      expect((await state(page)).lastEvaluation!.accuracy).toBe(nodeCorrect / COMPARED);
      expect(nodeCorrect / COMPARED).toBeGreaterThan(0.9);
      expect(await tensors(page)).toBe(tensorsAtStart + weights); // the loaded model's weights only
      // No BNTT: the γ rule runs every step; the confidence policy still stops each recording early.
      await page.click('#analyse');
      await untilIdle(page, 3 * MINUTE);
      expect(await points(page, 'gamma-chart')).toBe(0);
      expect(await points(page, 'steps-chart')).toBe(T);
      expect(await text(page, '#exit-step')).toMatch(
        /^This model has no BNTT layers, so the γ rule always runs all 4 steps\. Test accuracy/
      );
      expect(await text(page, '#exit-result')).toMatch(/on 64 test recordings: [1-4]\.\d\d steps on average/);
      expect(await tensors(page)).toBe(tensorsAtStart + weights);
      await page.screenshot({path: join(OUT, 'playground-nir.png'), fullPage: true});
    },
    5 * MINUTE
  );

  it(
    "loads a picked .nir file; refuses one for other data (Sinabs's N-MNIST CNN) and one that is not HDF5",
    async () => {
      const held = await tensors(page);
      await page.setInputFiles('#model-files', [SHIPPED_NIR]);
      await page.click('#load-files');
      await untilIdle(page, 2 * MINUTE);
      expect((await state(page)).modelSource).toBe(
        'loaded from synthetic-events.nir (NIR: 4 steps of 0.001 s, mean over time)'
      );
      expect(await tensors(page)).toBe(held); // the same model again; the one it replaces is disposed
      const failure = async (files: string[]) => {
        await page.setInputFiles('#model-files', files);
        await page.click('#load-files');
        await page.waitForFunction(() => document.querySelector('#status')!.textContent!.startsWith('Error'), null, {
          timeout: MINUTE,
        });
        await untilIdle(page, MINUTE).catch(() => undefined); // the status line holds the error
        return text(page, '#status');
      };
      await page.fill('#nir-dt', '1');
      expect(await failure([SINABS_NIR])).toBe(
        'Error: the model from cnn_sinabs.nir takes spike trains of 34×34×2 frames and gives 10 classes; the ' +
          'current data need a model for spike trains of 32×32×2 recordings (no encoder) with 10 classes ' +
          '(e.g. tfjs-snn train --dataset synthetic-events)'
      );
      const notHdf5 = join(OUT, 'not-hdf5.nir');
      writeFileSync(notHdf5, 'this is not an HDF5 file\n');
      expect(await failure([notHdf5])).toMatch(/^Error: cannot load the model from not-hdf5\.nir: io\.nir\.load/);
      expect(await failure([SHIPPED_NIR, SINABS_NIR])).toBe(
        'Error: pick one model.json and its .bin weight files, or one .nir file; got 2 files (0 .json, 2 .nir)'
      );
      expect(await tensors(page)).toBe(held); // refused models are disposed; the loaded one stays
      expect((await state(page)).modelSource).toBe(
        'loaded from synthetic-events.nir (NIR: 4 steps of 0.001 s, mean over time)'
      );
    },
    3 * MINUTE
  );

  it('logged no errors to the console', () => {
    expect(consoleErrors).toEqual([]);
  });
});
