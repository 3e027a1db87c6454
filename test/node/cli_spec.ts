import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {execFileSync, spawnSync} from 'child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {join, resolve} from 'path';

import {analyze} from '../../src/cli/analyze';
import {convert, parseConvertArgs} from '../../src/cli/convert';
import {parseAnalyzeArgs, parseTrainArgs, TrainArgs} from '../../src/cli/args';
import {loadCheckpoint, RunState} from '../../src/cli/checkpoint';
import {main} from '../../src/cli/main';
import {formatDuration, progressLine} from '../../src/cli/progress';
import {train, TrainStage} from '../../src/cli/train';
import {io, models} from '../../src/index';

const root = resolve(__dirname, '../../../..');

/** An MNIST-style folder of 8×8 images whose class is the bright quadrant: learnable in a few steps. */
function writeQuadrantIdx(dir: string, train: number, test: number): void {
  mkdirSync(dir, {recursive: true});
  const header = (magic: number, dims: number[]) => {
    const bytes = Buffer.alloc(4 + 4 * dims.length);
    bytes.writeUInt32BE(magic, 0);
    dims.forEach((d, i) => bytes.writeUInt32BE(d, 4 + 4 * i));
    return bytes;
  };
  for (const [prefix, count] of [
    ['train', train],
    ['t10k', test],
  ] as const) {
    const labels = Buffer.from(Array.from({length: count}, (_, i) => (i * 7 + (prefix === 'train' ? 0 : 1)) % 4));
    const pixels = Buffer.alloc(count * 64);
    labels.forEach((label, n) => {
      for (let p = 0; p < 64; p++) {
        const [r, c] = [Math.floor(p / 8), p % 8];
        const inside = Math.floor(r / 4) === Math.floor(label / 2) && Math.floor(c / 4) === label % 2;
        pixels[n * 64 + p] = inside ? 200 + ((n + p) % 50) : (n * 13 + p * 7) % 60;
      }
    });
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), Buffer.concat([header(0x803, [count, 8, 8]), pixels]));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), Buffer.concat([header(0x801, [count]), labels]));
  }
}

/**
 * CIFAR binary files (label byte(s), then 32×32 planes R, G, B) of images whose class (0–2) is the bright
 * channel: CIFAR-10's data_batch_1..5 + test_batch, or CIFAR-100's train + test with [coarse, fine] labels.
 */
function writeCifar(dir: string, variant: 'cifar10' | 'cifar100', perFile: number): void {
  mkdirSync(dir, {recursive: true});
  const labelBytes = variant === 'cifar10' ? 1 : 2;
  const records = (count: number, first: number) => {
    const bytes = Buffer.alloc(count * (labelBytes + 3 * 1024));
    for (let k = 0; k < count; k++) {
      const start = k * (labelBytes + 3 * 1024);
      const label = (first + k) % 3;
      if (labelBytes === 2) bytes[start] = 19 - label; // the coarse label, not used by default
      bytes[start + labelBytes - 1] = label;
      for (let p = 0; p < 3 * 1024; p++) {
        const bright = Math.floor(p / 1024) === label;
        bytes[start + labelBytes + p] = bright ? 180 + ((k + p) % 70) : (k * 11 + p * 5) % 90;
      }
    }
    return bytes;
  };
  const files =
    variant === 'cifar10'
      ? [...[1, 2, 3, 4, 5].map(i => [`data_batch_${i}.bin`, perFile]), ['test_batch.bin', perFile]]
      : [
          ['train.bin', 5 * perFile],
          ['test.bin', perFile],
        ];
  let first = 0;
  for (const [name, count] of files as Array<[string, number]>) {
    writeFileSync(join(dir, name), records(count, first));
    first += count;
  }
}

const silent = {write: () => true};

describe('tfjs-snn train arguments', () => {
  it('has the documented defaults', () => {
    // epochs null: 3, or with --resume the checkpoint's own count.
    expect(parseTrainArgs([])).toEqual(
      jasmine.objectContaining({
        dataset: 'fashion-mnist',
        dataDir: null,
        model: 'small',
        epochs: null,
        batchSize: 64,
        optimizer: 'adam',
        schedule: 'cosine',
        weightDecay: 1e-4,
        normalization: 'bntt',
        backend: 'auto',
        threads: null,
        seed: 1,
        resume: false,
        out: 'runs/fashion-mnist-small',
      })
    );
  });

  it('takes --flag value, --flag=value and --no-switch', () => {
    const args = parseTrainArgs([
      '--dataset=cifar10',
      '--data-dir',
      '/d',
      '--model',
      'vgg9',
      '--epochs=2',
      '--lr',
      '0.05',
      '--no-augment',
      '--resume',
      '--threads=2',
    ]);
    expect(args).toEqual(
      jasmine.objectContaining({
        threads: 2,
        dataset: 'cifar10',
        dataDir: '/d',
        model: 'vgg9',
        epochs: 2,
        lr: 0.05,
        augment: false,
        resume: true,
      })
    );
  });

  const bad: Array<[string[], string]> = [
    [['--epochs', '0'], "--epochs must be an integer >= 1; got '0'"],
    [['--model', 'resnet'], "--model must be one of small, vgg9, vgg11; got 'resnet'"],
    [['--lr'], '--lr needs a value; see tfjs-snn train --help'],
    [['--epoch', '3'], "unknown option '--epoch'; see tfjs-snn train --help"],
    [
      ['--dataset', 'cifar100'],
      '--data-dir is required for --dataset cifar100 (fashion-mnist has an embedded subset and ' +
        'synthetic-events is generated; the others are read from their files)',
    ],
    [
      ['--dataset', 'nmnist'],
      '--data-dir is required for --dataset nmnist (fashion-mnist has an embedded subset and ' +
        'synthetic-events is generated; the others are read from their files)',
    ],
    [
      ['--dataset', 'synthetic-events', '--encoder', 'poisson'],
      '--encoder poisson: --dataset synthetic-events holds event recordings, which are fed as frames without an ' +
        'encoder; leave --encoder out (or give none)',
    ],
    [
      ['--encoder', 'none'],
      '--encoder none: --dataset fashion-mnist holds images, which need an encoder to become spike trains; ' +
        'give poisson or direct, or an event dataset',
    ],
    [['--resume=yes'], "--resume takes no value; got '--resume=yes'"],
    // Integers beyond 2^53 are not exact: rejected here, not deep inside the data pipeline.
    [['--seed', '1e300'], "--seed must be an integer from 0 to 9007199254740991; got '1e300'"],
    [
      ['--batch-size', '9007199254740993'],
      "--batch-size must be an integer from 1 to 9007199254740991; got '9007199254740993'",
    ],
    [['--threads', '9'], "--threads must be an integer from 1 to 8; got '9'"],
    [['--threads', '0'], "--threads must be an integer >= 1; got '0'"],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(' ')}`, () => expect(() => parseTrainArgs(argv)).toThrowError(message));
  }
});

describe('tfjs-snn analyze arguments', () => {
  it('has the documented defaults', () => {
    expect(parseAnalyzeArgs(['--model', 'runs/x'])).toEqual({
      model: 'runs/x',
      dataset: 'fashion-mnist',
      dataDir: null,
      limitTest: null,
      batchSize: null,
      backend: 'auto',
      threads: null,
      out: null,
      gammaThreshold: 0.1,
      confidenceThreshold: 0.5,
      patience: 2,
    });
  });

  const bad: Array<[string[], string]> = [
    [[], '--model is required: the run folder of tfjs-snn train, or a model folder'],
    [['--model', 'm', '--confidence-threshold', '2'], "--confidence-threshold must be a number in [0, 1]; got '2'"],
    [['--model', 'm', '--patience', '0'], "--patience must be an integer >= 1; got '0'"],
    [['--model', 'm', '--epochs', '3'], "unknown option '--epochs'; see tfjs-snn analyze --help"],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(' ') || 'no arguments'}`, () => expect(() => parseAnalyzeArgs(argv)).toThrowError(message));
  }

  it('names a folder without a model', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tfjs-snn-nomodel-'));
    await expectAsync(analyze(parseAnalyzeArgs(['--model', empty, '--backend', 'cpu']), silent)).toBeRejectedWithError(
      new RegExp(`--model: no model.json in '${empty}'`)
    );
    rmSync(empty, {recursive: true, force: true});
  });
});

describe('progress line', () => {
  it('shows epoch, bar, counts, loss, accuracy, speed and ETA', () => {
    const line = progressLine({
      epoch: 2,
      epochs: 3,
      done: 25,
      total: 100,
      loss: 0.51234,
      accuracy: 0.8,
      elapsedSeconds: 30,
      imagesPerSecond: 53.33,
    });
    expect(line).toBe('epoch 2/3 [=====>                  ] 25/100 loss 0.5123 acc 0.8000 53.3 img/s ETA 1:30');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});

describe('tfjs-snn train (end to end on a generated 8×8 dataset, wasm)', () => {
  let tmp: string;
  let dataDir: string;
  const args = (out: string, more: Partial<TrainArgs> = {}): TrainArgs => ({
    ...parseTrainArgs([
      '--dataset',
      'mnist',
      '--data-dir',
      dataDir,
      '--backend',
      'wasm',
      '--batch-size',
      '16',
      '--time-steps',
      '2',
      '--optimizer',
      'adam',
      '--lr',
      '0.01',
      '--out',
      out,
    ]),
    ...more,
  });

  let originalTimeout: number;
  beforeAll(() => {
    originalTimeout = jasmine.DEFAULT_TIMEOUT_INTERVAL;
    jasmine.DEFAULT_TIMEOUT_INTERVAL = 120000;
    tmp = mkdtempSync(join(tmpdir(), 'tfjs-snn-cli-'));
    dataDir = join(tmp, 'data');
    writeQuadrantIdx(dataDir, 64, 32);
  });
  afterAll(async () => {
    jasmine.DEFAULT_TIMEOUT_INTERVAL = originalTimeout;
    rmSync(tmp, {recursive: true, force: true});
    await tf.setBackend('cpu');
  });

  it('trains, evaluates, and writes the model, a checkpoint, report.json and report.md', async () => {
    const out = join(tmp, 'run');
    const state = await train(args(out, {epochs: 3}), silent);
    expect(state.epochsDone).toBe(3);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.finished).toBeTrue();
    expect(report.epochs.length).toBe(3);
    expect(report.data).toEqual({trainImages: 64, testImages: 32});
    for (const epoch of report.epochs) {
      // A fraction of the 32 test images (a missing value is null in JSON, and null >= 0 holds).
      expect(typeof epoch.testAccuracy)
        .withContext(`epoch ${epoch.epoch} testAccuracy`)
        .toBe('number');
      expect(epoch.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(epoch.testAccuracy).toBeLessThanOrEqual(1);
      expect(Math.abs(epoch.testAccuracy * 32 - Math.round(epoch.testAccuracy * 32)))
        .withContext(`epoch ${epoch.epoch} testAccuracy ${epoch.testAccuracy} · 32`)
        .toBeLessThan(1e-4);
      expect(Object.keys(epoch.spikeRates).length).toBe(3); // three lif layers in the small model
    }
    expect(report.finalTestAccuracy).toBeGreaterThan(0.5); // chance is 0.25
    const markdown = readFileSync(join(out, 'report.md'), 'utf8');
    expect(markdown).toContain('## Per epoch');
    expect(markdown).toMatch(/\| 1 \| 0\.0100 \| /);
    expect(markdown).toContain('rate lif1');
    expect(markdown).toContain('## Learnt neuron parameters\n\nNone learnt: every neuron layer has fixed parameters.');
    expect(
      JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).neuronParameters.map((l: {layer: string}) => l.layer)
    ).toEqual(['lif1', 'lif2', 'lif3']);
    const model = await tfl.loadLayersModel(io.fileSystem(join(out, 'model')));
    expect(model.outputs[0].shape).toEqual([null, 10]);
    model.dispose();
  });

  it("tfjs-snn analyze reports on the trained run: its accuracy after all T steps is the run's final accuracy", async () => {
    const run = join(tmp, 'run');
    const report = await analyze(
      parseAnalyzeArgs([
        '--model',
        run,
        '--dataset',
        'mnist',
        '--data-dir',
        dataDir,
        '--backend',
        'wasm',
        '--batch-size',
        '10',
      ]),
      silent
    );
    const trained = JSON.parse(readFileSync(join(run, 'report.json'), 'utf8'));
    expect(report.timeSteps).toBe(2);
    expect(report.accuracyByTimeSteps.accuracy[1]).toBeCloseTo(trained.finalTestAccuracy, 6);
    expect(report.gammaProfile.map(p => p.layer)).toEqual(['bntt1', 'bntt2', 'bntt3']);
    expect(report.spikeRates.map(r => r.layer)).toEqual(['lif1', 'lif2', 'lif3']);
    expect(report.neuronParameters).toEqual(['lif1', 'lif2', 'lif3'].map(layer => ({layer, parameters: []})));
    expect(report.energy.layers.map(l => l.analogInput)).toEqual([true, false, false, false]);
    expect(report.confidenceExit.exitStepCounts.reduce((a, b) => a + b, 0)).toBe(32);
    // The sweep reaches every exit step: T 2 has one breakpoint, just above every layer's mean scale at step 2.
    const largest = Math.max(...report.gammaProfile.map(p => p.mean[1]));
    const breakpoint = report.gammaSweep.find(s => s.threshold > largest && s.threshold <= largest + 0.001);
    expect(breakpoint?.exitStep).toBe(1);
    expect(breakpoint?.accuracy).toBe(report.accuracyByTimeSteps.accuracy[0]);
    const dir = join(run, 'analysis');
    const saved = JSON.parse(readFileSync(join(dir, 'analysis.json'), 'utf8'));
    expect(saved.accuracyByTimeSteps).toEqual(report.accuracyByTimeSteps);
    for (const chart of ['gamma', 'rates', 'accuracy']) {
      expect(readFileSync(join(dir, `${chart}.svg`), 'utf8')).toMatch(/^<svg /);
    }
    const html = readFileSync(join(dir, 'analysis.html'), 'utf8');
    expect((html.match(/<svg /g) ?? []).length).toBe(3);
    expect(html).not.toContain('<script');
    expect(html).toContain('<tr><td>lif3</td><td>none learnt</td>');
  });

  it('--resume continues from the last checkpoint and ends where an uninterrupted run ends, weight for weight', async () => {
    const settings = {epochs: 3, optimizer: 'sgd' as const, lr: 0.05};
    const straight = await train(args(join(tmp, 'straight'), settings), silent);
    const stopped = await train(args(join(tmp, 'resumed'), settings), silent, {stopAfterEpoch: 1});
    expect(stopped.epochsDone).toBe(1);
    expect(existsSync(join(tmp, 'resumed', 'model'))).toBeFalse();
    const resumed = await train(args(join(tmp, 'resumed'), {epochs: 3, resume: true}), silent);
    expect(resumed.history.length).toBe(3);
    expect(resumed.history.map(e => e.testAccuracy)).toEqual(straight.history.map(e => e.testAccuracy));
    const weights = async (dir: string) => {
      const model = await tfl.loadLayersModel(io.fileSystem(join(dir, 'model')));
      const values = model.getWeights().map(w => Array.from(w.dataSync()));
      model.dispose();
      return values;
    };
    expect(await weights(join(tmp, 'resumed'))).toEqual(await weights(join(tmp, 'straight')));
  });

  describe('--resume after a crash once the last epoch is trained', () => {
    const settings = {epochs: 2, optimizer: 'sgd' as const, lr: 0.05, limitTrain: 32};
    const modelWeights = async (dir: string) => {
      const model = await tfl.loadLayersModel(io.fileSystem(join(dir, 'model')));
      const values = model.getWeights().map(w => Array.from(w.dataSync()));
      model.dispose();
      return values;
    };
    let straight: Promise<number[][]> | null = null;
    /** The final weights of the same run, uninterrupted (trained once, for all the cases). */
    const straightWeights = () =>
      (straight ??= (async () => {
        await train(args(join(tmp, 'straight-2'), settings), silent);
        return modelWeights(join(tmp, 'straight-2'));
      })());

    const stages: TrainStage[] = ['checkpoint', 'model', 'reports'];
    for (const stage of stages) {
      it(
        `finishes the run when it was killed after the ${stage} was written: model/ as an uninterrupted run, ` +
          'report.json finished, report.md',
        async () => {
          const expected = await straightWeights();
          const out = join(tmp, `killed-after-${stage}`);
          const crash = (at: TrainStage) => {
            if (at === stage) throw new Error(`killed after ${at}`);
          };
          await expectAsync(train(args(out, settings), silent, {afterStage: crash})).toBeRejectedWithError(
            `killed after ${stage}`
          );
          if (stage === 'checkpoint') expect(existsSync(join(out, 'model'))).toBeFalse();
          const before = tf.memory().numTensors;
          const written: string[] = [];
          const state = await train(args(out, {resume: true, epochs: null}), {write: text => written.push(text)});
          expect(tf.memory().numTensors).toBe(before);
          expect(state.epochsDone).toBe(2);
          expect(written.join('')).toContain(
            stage === 'reports'
              ? `the run in ${out} had already finished its 2 epochs`
              : `the checkpoint in ${out} has all 2 epochs`
          );
          expect(written.join('')).toContain(`saved the model to ${resolve(out, 'model')}`);
          const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
          expect([report.finished, report.epochsDone, report.epochs.length]).toEqual([true, 2, 2]);
          expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('Finished 2 of 2 epochs.');
          expect(await modelWeights(out)).toEqual(expected);
        }
      );
    }

    it('writes model/ again when a finished run lost it', async () => {
      const out = join(tmp, 'finished-then-lost');
      await train(args(out, settings), silent);
      rmSync(join(out, 'model'), {recursive: true});
      rmSync(join(out, 'report.md'));
      await train(args(out, {resume: true, epochs: null}), silent);
      expect(await modelWeights(out)).toEqual(await straightWeights());
      expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('Finished 2 of 2 epochs.');
    });

    it("without --epochs trains to the checkpoint's own epoch count", async () => {
      const out = join(tmp, 'stopped-at-1');
      await train(args(out, settings), silent, {stopAfterEpoch: 1});
      const state = await train(args(out, {resume: true, epochs: null}), silent);
      expect(state.epochsDone).toBe(2);
      expect(await modelWeights(out)).toEqual(await straightWeights());
    });

    it('rejects an --epochs lower than the checkpoint has, naming the flag, leaking nothing', async () => {
      const out = join(tmp, 'finished-2');
      await train(args(out, settings), silent);
      const before = tf.memory().numTensors;
      await expectAsync(train(args(out, {resume: true, epochs: 1}), silent)).toBeRejectedWithError(
        `--epochs 1: the checkpoint in ${out} already has 2 epochs; give --epochs 2 or more, or leave it out`
      );
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it('a crash between the checkpoint swaps leaves the previous checkpoint, which --resume finds', async () => {
    const out = join(tmp, 'crash');
    await train(args(out, {epochs: 1}), silent);
    renameSync(join(out, 'checkpoint'), join(out, '.checkpoint-previous'));
    const checkpoint = await loadCheckpoint(out);
    expect(checkpoint).not.toBeNull();
    expect((checkpoint!.state as RunState).epochsDone).toBe(1);
    checkpoint!.model.dispose();
    tf.dispose(checkpoint!.optimizerWeights.map(w => w.tensor));
  });

  it('leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    await train(args(join(tmp, 'leak'), {epochs: 1}), silent);
    expect(tf.memory().numTensors).toBe(before);
  });

  describe('sizes (checked before anything is allocated; limit on wasm: 512 MiB of layer outputs per batch)', () => {
    it('an oversized --batch-size fails naming the flag, the value, the limit and the largest that fits', async () => {
      // The embedded subset (2,000 28×28 training images), small model, T 2: per image the input (784 values) and
      // the layer outputs: encoder 2·784, conv1, bntt1, lif1 3·2·25088, pool1 2·6272, conv2, bntt2, lif2
      // 3·2·12544, pool2 and flatten 2·2·3136, fc1, bntt3, lif3 3·2·256, fc2 2·10, timeAverage 10: 254798 values,
      // 1019192 bytes (0.972 MiB). 2000 images: 1944 MiB; floor(512 MiB / 1019192 bytes) = 526.
      const out = join(tmp, 'huge-batch');
      const before = tf.memory().numTensors;
      await expectAsync(
        train(
          parseTrainArgs([
            '--backend',
            'wasm',
            '--batch-size',
            '2000',
            '--time-steps',
            '2',
            '--limit-test',
            '10',
            '--out',
            out,
          ]),
          silent
        )
      ).toBeRejectedWithError(
        "--batch-size 2000: a batch's layer outputs would take 1944 MiB (0.972 MiB per " +
          'image at T 2), more than the 512 MiB allowed on the wasm backend; the largest ' +
          'batch size that fits is 526'
      );
      expect(tf.memory().numTensors).toBe(before);
      expect(existsSync(join(out, 'checkpoint'))).toBeFalse();
    });

    it('--time-steps too large for even one image fails naming the flag and the limit', async () => {
      // 8×8 images: per image 64 input values + T·(64 + 3·2048 + 512 + 3·1024 + 2·256 + 3·256 + 10) + 10 =
      // 74 + 11082·T values; T 20000: 886560296 bytes, 845 MiB.
      const before = tf.memory().numTensors;
      await expectAsync(train(args(join(tmp, 'huge-t'), {timeSteps: 20000, epochs: 1}), silent)).toBeRejectedWithError(
        "--time-steps 20000: one image's layer outputs take 845 MiB, more than the 512 MiB " +
          'a batch may take on the wasm backend; lower --time-steps'
      );
      expect(tf.memory().numTensors).toBe(before);
    });

    it('evaluation runs 256 images at a time, or as many as fit when that is fewer', async () => {
      // The embedded subset, small model, T 12: 794 + 127002·12 values, 5.82 MiB per image, 88 fit in 512 MiB.
      const written: string[] = [];
      const state = await train(
        parseTrainArgs([
          '--backend',
          'wasm',
          '--batch-size',
          '16',
          '--time-steps',
          '12',
          '--limit-train',
          '16',
          '--limit-test',
          '100',
          '--epochs',
          '1',
          '--out',
          join(tmp, 'long-evaluation'),
        ]),
        {write: text => written.push(text)}
      );
      expect(written.join('')).toContain('16 train / 100 test images, batches of 16 (evaluation 88), backend wasm');
      expect(state.history[0].testAccuracy * 100).toBeCloseTo(Math.round(state.history[0].testAccuracy * 100), 6);
    });

    describe('tfjs-snn analyze', () => {
      /** A fresh small model for 28×28 images (per image 794 + 127002·T values) saved in `dir`. */
      const saveModel = async (name: string, timeSteps: number) => {
        const dir = join(tmp, name);
        const model = models.small({inputShape: [28, 28, 1], numClasses: 10, timeSteps});
        await model.save(io.fileSystem(dir));
        model.dispose();
        return dir;
      };
      const analyzeArgs = (model: string, more: string[]) =>
        parseAnalyzeArgs(['--model', model, '--backend', 'wasm', '--out', join(tmp, 'analysis-sizes'), ...more]);

      it('an oversized --batch-size fails naming the flag, the value and the largest that fits', async () => {
        // T 2: 254798 values, 0.972 MiB per image (as in the train case); the embedded subset's 1,000 test images.
        const model = await saveModel('t2-model', 2);
        const before = tf.memory().numTensors;
        await expectAsync(analyze(analyzeArgs(model, ['--batch-size', '1000']), silent)).toBeRejectedWithError(
          "--batch-size 1000: a batch's layer outputs would take 972 MiB (0.972 MiB per " +
            'image at T 2), more than the 512 MiB allowed on the wasm backend; the largest ' +
            'batch size that fits is 526'
        );
        expect(tf.memory().numTensors).toBe(before);
      });

      it('without --batch-size runs as many images at a time as fit, when that is fewer than 100', async () => {
        // T 12: 794 + 127002·12 = 1524818 values, 5.82 MiB per image: floor(512 MiB / 6099272 bytes) = 88.
        const model = await saveModel('t12-model', 12);
        const written: string[] = [];
        const report = await analyze(analyzeArgs(model, ['--limit-test', '100']), {write: text => written.push(text)});
        expect(report.testImages).toBe(100);
        expect(written.join('')).toContain('on 100 fashion-mnist test images, 88 at a time, backend wasm');
      });
    });
  });
});

describe('tfjs-snn train on CIFAR binary files (generated in the real format, wasm)', () => {
  let tmp: string;
  beforeAll(() => (tmp = mkdtempSync(join(tmpdir(), 'tfjs-snn-cli-cifar-'))));
  afterAll(async () => {
    rmSync(tmp, {recursive: true, force: true});
    await tf.setBackend('cpu');
  });

  for (const [variant, classes] of [
    ['cifar10', 10],
    ['cifar100', 100],
  ] as const) {
    it(`--dataset ${variant}: reads the files, trains with augmentation and saves a ${classes}-class model`, async () => {
      const dataDir = join(tmp, variant);
      writeCifar(dataDir, variant, 8);
      const out = join(tmp, `${variant}-run`);
      const state = await train(
        parseTrainArgs([
          '--dataset',
          variant,
          '--data-dir',
          dataDir,
          '--backend',
          'wasm',
          '--batch-size',
          '8',
          '--time-steps',
          '2',
          '--epochs',
          '1',
          '--out',
          out,
        ]),
        silent
      );
      expect(state.epochsDone).toBe(1);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      expect(report.data).toEqual({trainImages: 40, testImages: 8});
      expect(report.settings.dataset).toBe(variant);
      // Defaults are reported as used.
      expect([report.settings.augment, report.settings.lr, report.settings.encoder, report.settings.leak]).toEqual([
        true,
        0.001,
        'direct',
        0.95,
      ]);
      expect(Number.isFinite(report.epochs[0].trainLoss)).toBeTrue();
      const model = await tfl.loadLayersModel(io.fileSystem(join(out, 'model')));
      expect(model.inputs[0].shape).toEqual([null, 32, 32, 3]);
      expect(model.outputs[0].shape).toEqual([null, classes]);
      model.dispose();
    }, 120000);
  }
});

/** An N-MNIST-shaped folder (Train/<digit>/<id>.bin, Test/...): 5-byte events, a digit-dependent column of ON events. */
function writeNmnist(dir: string, perDigit: number): void {
  for (const [folder, count] of [
    ['Train', perDigit],
    ['Test', 1],
  ] as const) {
    for (let digit = 0; digit < 10; digit++) {
      mkdirSync(join(dir, folder, String(digit)), {recursive: true});
      for (let i = 0; i < count; i++) {
        const events = 40;
        const bytes = Buffer.alloc(5 * events);
        for (let e = 0; e < events; e++) {
          const t = 1000 * e + i; // µs, increasing
          const [x, y, p] = [3 * digit + (e % 2), (e * 7 + i) % 34, e % 3 === 0 ? 0 : 1];
          bytes.set([x, y, (p << 7) | ((t >> 16) & 0x7f), (t >> 8) & 0xff, t & 0xff], 5 * e);
        }
        writeFileSync(join(dir, folder, String(digit), `${String(i + 1).padStart(5, '0')}.bin`), bytes);
      }
    }
  }
}

describe('tfjs-snn train and analyze on event recordings (wasm)', () => {
  let tmp: string;
  beforeAll(() => (tmp = mkdtempSync(join(tmpdir(), 'tfjs-snn-cli-events-'))));
  afterAll(async () => {
    rmSync(tmp, {recursive: true, force: true});
    await tf.setBackend('cpu');
  });

  const common = ['--backend', 'wasm', '--batch-size', '16', '--time-steps', '4', '--epochs', '1'];

  it('--dataset synthetic-events (generated, no --data-dir): a model without an encoder on T frames, analysed', async () => {
    const out = join(tmp, 'synthetic');
    const before = tf.memory().numTensors;
    const args = parseTrainArgs([
      '--dataset',
      'synthetic-events',
      '--limit-train',
      '64',
      '--limit-test',
      '32',
      ...common,
    ]);
    expect(args.encoder).toBe('none');
    const state = await train({...args, out}, silent);
    expect(state.epochsDone).toBe(1);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.data).toEqual({trainImages: 64, testImages: 32});
    expect([report.settings.encoder, report.settings.timeSteps, report.settings.augment]).toEqual(['none', 4, false]);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain(
      '- data: 64 training / 32 test recordings as 4 frames each (generated: snn.data.syntheticEvents)'
    );
    const model = await tfl.loadLayersModel(io.fileSystem(join(out, 'model')));
    expect(model.inputs[0].shape).toEqual([null, 4, 32, 32, 2]);
    expect(model.layers[0].name).toBe('conv1');
    model.dispose();
    const analysis = await analyze(
      parseAnalyzeArgs(['--model', out, '--dataset', 'synthetic-events', '--limit-test', '32', '--backend', 'wasm']),
      silent
    );
    expect(analysis.timeSteps).toBe(4);
    expect(analysis.accuracyByTimeSteps.accuracy[3]).toBeCloseTo(report.finalTestAccuracy, 6);
    expect(analysis.energy.layers[0].analogInput).toBeFalse(); // event counts: accumulates
    expect(analysis.confidenceExit.exitStepCounts.length).toBe(4);
    expect(tf.memory().numTensors).toBe(before);
    await expectAsync(
      analyze(parseAnalyzeArgs(['--model', out, '--limit-test', '8', '--backend', 'wasm']), silent)
    ).toBeRejectedWithError(
      `--dataset fashion-mnist holds images, but the model in ${join(out, 'model')} takes spike trains (it has no ` +
        'encoder) (input [batch,4,32,32,2]); analyse it on an event dataset'
    );
    await expectAsync(train({...args, augment: true, out: join(tmp, 'augmented')}, silent)).toBeRejectedWithError(
      '--augment: --dataset synthetic-events holds event recordings, which are not augmented'
    );
  }, 180000);

  it('--dataset nmnist reads the Train/Test folders of 5-byte events into 34×34×2 frames', async () => {
    const dataDir = join(tmp, 'nmnist');
    writeNmnist(dataDir, 2);
    const out = join(tmp, 'nmnist-run');
    const state = await train(
      parseTrainArgs(['--dataset', 'nmnist', '--data-dir', dataDir, ...common, '--batch-size', '5', '--out', out]),
      silent
    );
    expect(state.epochsDone).toBe(1);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.data).toEqual({trainImages: 20, testImages: 10});
    expect(Number.isFinite(report.epochs[0].trainLoss)).toBeTrue();
    const model = await tfl.loadLayersModel(io.fileSystem(join(out, 'model')));
    expect(model.inputs[0].shape).toEqual([null, 4, 34, 34, 2]);
    expect(model.outputs[0].shape).toEqual([null, 10]);
    model.dispose();
  }, 180000);
});

describe('tfjs-snn convert (NIR ↔ tfjs model folder)', () => {
  let tmp: string;
  beforeAll(() => (tmp = mkdtempSync(join(tmpdir(), 'tfjs-snn-cli-convert-'))));
  afterAll(() => rmSync(tmp, {recursive: true, force: true}));

  it("imports cnn_sinabs.nir into a model folder with io.nir.load's outputs, and exports it back to the same graph", async () => {
    const nirFile = join(root, 'test/fixtures/nir/cnn_sinabs.nir');
    const folder = join(tmp, 'cnn');
    const args = parseConvertArgs(['--in', nirFile, '--out', folder, '--dt', '1', '--backend', 'cpu']);
    expect(await convert(args, silent)).toBe('from-nir');
    const [saved, direct] = [await tfl.loadLayersModel(io.fileSystem(folder)), await io.nir.load(nirFile, {dt: 1})];
    const x = tf.tidy(() =>
      tf.cast(
        tf.greater(tf.randomUniform([2, 3, ...direct.inputs[0].shape.slice(2)] as number[], 0, 1, 'float32', 4), 0.7),
        'float32'
      )
    );
    const [a, b] = [saved.predict(x) as tf.Tensor, direct.predict(x) as tf.Tensor];
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([x, a, b]);
    saved.dispose();
    direct.dispose();
    const back = join(tmp, 'cnn-again.nir');
    expect(
      await convert(parseConvertArgs(['--in', folder, '--out', back, '--dt', '1', '--backend', 'cpu']), silent)
    ).toBe('to-nir');
    const [original, exported] = [await io.nir.read(nirFile), await io.nir.read(back)];
    const types = (g: typeof original) =>
      Object.values(g.nodes)
        .map(n => n.type)
        .sort();
    expect(types(exported)).toEqual(types(original));
  });

  it('--time-steps and --readout timeAverage import a classifier that tfjs-snn analyze runs on N-MNIST files', async () => {
    const nirFile = join(root, 'test/fixtures/nir/cnn_sinabs.nir');
    const folder = join(tmp, 'cnn-readout');
    const argv = ['--in', nirFile, '--out', folder, '--dt', '1', '--time-steps', '4', '--readout', 'timeAverage'];
    expect(await convert(parseConvertArgs([...argv, '--backend', 'cpu']), silent)).toBe('from-nir');
    const model = await tfl.loadLayersModel(io.fileSystem(folder));
    expect(model.inputs[0].shape).toEqual([null, 4, 34, 34, 2]);
    expect(model.outputs[0].shape).toEqual([null, 10]);
    model.dispose();
    const dataDir = join(tmp, 'nmnist');
    writeNmnist(dataDir, 1);
    const before = tf.memory().numTensors;
    const analysis = await analyze(
      parseAnalyzeArgs(['--model', folder, '--dataset', 'nmnist', '--data-dir', dataDir, '--backend', 'cpu']),
      silent
    );
    expect(analysis.timeSteps).toBe(4);
    expect(analysis.accuracyByTimeSteps.accuracy.length).toBe(4);
    expect(tf.memory().numTensors).toBe(before);
    await expectAsync(
      convert(
        parseConvertArgs(['--in', folder, '--out', join(tmp, 'x.nir'), '--dt', '1', '--readout', 'timeAverage']),
        silent
      )
    ).toBeRejectedWithError(
      `--readout applies when importing a .nir file; --in '${folder}' is a model folder (exporting)`
    );
  }, 180000);

  const bad: Array<[string[], string]> = [
    [['--in', 'a.nir', '--out', 'm'], '--dt is required; see tfjs-snn convert --help'],
    [['--out', 'm', '--dt', '1'], '--in is required; see tfjs-snn convert --help'],
    [['--in', 'a.nir', '--out', 'm', '--dt', '0'], "--dt must be a number > 0 (seconds); got '0'"],
    [
      ['--in', 'a.nir', '--out', 'm', '--dt', '1', '--readout', 'mean'],
      "--readout must be one of none, timeAverage; got 'mean'",
    ],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(' ')}`, () => expect(() => parseConvertArgs(argv)).toThrowError(message));
  }

  it('names what is wrong with --in and --out', async () => {
    const run = (argv: string[]) => convert(parseConvertArgs([...argv, '--dt', '1', '--backend', 'cpu']), silent);
    await expectAsync(run(['--in', join(tmp, 'none.nir'), '--out', join(tmp, 'x')])).toBeRejectedWithError(
      `--in: no file '${join(tmp, 'none.nir')}'`
    );
    await expectAsync(run(['--in', tmp, '--out', join(tmp, 'x.nir')])).toBeRejectedWithError(
      `--in: '${tmp}' is neither a .nir file nor a folder holding model.json (or model/model.json of a train run)`
    );
  });
});

describe('the tfjs-snn command', () => {
  const bin = join(root, 'bin/tfjs-snn.cjs');

  it('prints help and exits 0; an unknown command or option exits 1 with a message', () => {
    expect(execFileSync(process.execPath, [bin, '--help'], {encoding: 'utf8'})).toContain('train');
    expect(execFileSync(process.execPath, [bin, 'train', '--help'], {encoding: 'utf8'})).toContain('--data-dir');
    const unknown = spawnSync(process.execPath, [bin, 'fly'], {encoding: 'utf8'});
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("tfjs-snn: unknown command 'fly'");
    const badOption = spawnSync(process.execPath, [bin, 'train', '--epochs', 'x'], {encoding: 'utf8'});
    expect(badOption.status).toBe(1);
    expect(badOption.stderr).toContain("tfjs-snn train: --epochs must be an integer >= 1; got 'x'");
  });

  it("--version and -v print package.json's version and exit 0; --help mentions them", async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    let written: string[] = [];
    const spy = spyOn(process.stdout, 'write').and.callFake(
      (text: string | Uint8Array) => written.push(String(text)) > 0
    );
    for (const flag of ['--version', '-v']) {
      expect(execFileSync(process.execPath, [bin, flag], {encoding: 'utf8'}))
        .withContext(flag)
        .toBe(`${pkg.version}\n`);
      written = [];
      const code = await main([flag]);
      expect([code, written.join('')])
        .withContext(`main(['${flag}'])`)
        .toEqual([0, `${pkg.version}\n`]);
    }
    spy.and.callThrough();
    expect(execFileSync(process.execPath, [bin, '--help'], {encoding: 'utf8'})).toMatch(
      /--version, -v +print the version/
    );
  });

  describe('without @tensorflow/tfjs-backend-wasm (nor tfjs-node) installed', () => {
    let tmp: string;
    beforeAll(() => {
      tmp = mkdtempSync(join(tmpdir(), 'tfjs-snn-nowasm-'));
      // Loaded with node -r: the two packages cannot be found, as in a project that never installed them.
      writeFileSync(
        join(tmp, 'hide.js'),
        `
        const Module = require('module');
        const resolveFilename = Module._resolveFilename;
        Module._resolveFilename = function(request, ...rest) {
          if (request === '@tensorflow/tfjs-backend-wasm' || request === '@tensorflow/tfjs-node') {
            throw Object.assign(new Error("Cannot find module '" + request + "'"), {code: 'MODULE_NOT_FOUND'});
          }
          return resolveFilename.call(this, request, ...rest);
        };`
      );
    });
    afterAll(() => rmSync(tmp, {recursive: true, force: true}));
    const run = (argv: string[]) =>
      spawnSync(
        process.execPath,
        [
          '-r',
          join(tmp, 'hide.js'),
          '-e',
          `require(${JSON.stringify(join(root, 'build/node/src/cli/main.js'))}).main(${JSON.stringify(argv)})` +
            '.then(code => process.exitCode = code)',
        ],
        {encoding: 'utf8', cwd: tmp}
      );

    it('train with the default backend says that the default is wasm and how to install it, naming no flag given', () => {
      const result = run(['train', '--epochs', '1']);
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(
        'tfjs-snn train: the default backend, wasm, needs @tensorflow/tfjs-backend-wasm, which is not ' +
          'installed: npm install @tensorflow/tfjs-backend-wasm (or choose --backend cpu, much slower, or install ' +
          '@tensorflow/tfjs-node for --backend tensorflow)\n'
      );
      expect(existsSync(join(tmp, 'runs'))).toBeFalse();
    });

    it('--backend wasm names the flag it was given', () => {
      const result = run(['analyze', '--model', tmp, '--backend', 'wasm']);
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(
        'tfjs-snn analyze: --backend wasm needs @tensorflow/tfjs-backend-wasm, which is not ' +
          'installed: npm install @tensorflow/tfjs-backend-wasm\n'
      );
    });
  });

  it('reports a missing dataset folder clearly', () => {
    const missing = spawnSync(
      process.execPath,
      [bin, 'train', '--dataset', 'mnist', '--data-dir', '/nonexistent', '--backend', 'cpu'],
      {encoding: 'utf8'}
    );
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/tfjs-snn train: .*\/nonexistent/);
    expect(existsSync('runs/mnist-small')).toBeFalse();
  });
});
