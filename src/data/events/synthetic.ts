/**
 * The synthetic event dataset that ships with tfjs-snn: ten 10 × 10 shapes moved over a 32 × 32 sensor along three
 * saccades (as N-MNIST's sensor was moved), turned into ON / OFF events where a pixel's brightness changes. Only
 * integer arithmetic, IEEE-exact divisions and mulberry32 draws: the same seed gives the same events on every
 * machine.
 */
import {describeValue} from '../../errors';
import {integerOption, optionsObject} from '../dataset';
import {mulberry32, randomIndex} from '../pipeline';
import {allocateEvents, EventDataset, Events, SensorSize, truncateEvents} from './events';

const SIDE = 32;
const SHAPE = 10;
/** Sub-pixel resolution of positions and of the rendered brightness: 4 × 4 samples per pixel. */
const SUB = 4;
/** A pixel's brightness is 0..16 (covered samples); this many levels of change make one event. */
const CONTRAST = 4;

const SHAPES: ReadonlyArray<readonly [string, string]> = [
  ['square', '##########,#........#,#........#,#........#,#........#,#........#,#........#,#........#,#........#,##########'],
  ['disc', '...####...,..######..,.########.,##########,##########,##########,##########,.########.,..######..,...####...'],
  ['plus', '....##....,....##....,....##....,....##....,##########,##########,....##....,....##....,....##....,....##....'],
  ['cross', '##......##,.##....##.,..##..##..,...####...,....##....,....##....,...####...,..##..##..,.##....##.,##......##'],
  ['triangle', '....##....,....##....,...####...,...####...,..######..,..######..,.########.,.########.,##########,##########'],
  ['bars', '##########,##########,..........,..........,..........,..........,..........,..........,##########,##########'],
  ['line', '....##....,....##....,....##....,....##....,....##....,....##....,....##....,....##....,....##....,....##....'],
  ['ell', '##........,##........,##........,##........,##........,##........,##........,##........,##########,##########'],
  ['tee', '##########,##########,....##....,....##....,....##....,....##....,....##....,....##....,....##....,....##....'],
  ['diamond', '....##....,...#..#...,..#....#..,.#......#.,#........#,#........#,.#......#.,..#....#..,...#..#...,....##....'],
];

/** The ten class names of `syntheticEvents`, in label order. */
export const SYNTHETIC_EVENT_CLASSES: readonly string[] = Object.freeze(SHAPES.map(([name]) => name));

const BITMAPS: Uint8Array[] = SHAPES.map(([, rows]) => Uint8Array.from(rows.replace(/,/g, ''), c => (c === '#' ? 1 : 0)));

/** The options of `syntheticEvents`. */
export interface SyntheticEventsOptions {
  /** Number of recordings; sample i has class i mod 10. Default 1000. */
  samples?: number;
  /** Integer seed. Default 0. */
  seed?: number;
  /** Time steps per saccade (3 saccades per recording). Default 10. */
  stepsPerSaccade?: number;
  /** Microseconds per time step. Default 1000. */
  stepMicros?: number;
  /** Background noise events per time step, at most (uniform 0..noise). Default 2. */
  noise?: number;
}

const DIRECTIONS = [
  [1, 0],
  [1, 1],
  [0, 1],
  [-1, 1],
  [-1, 0],
  [-1, -1],
  [0, -1],
  [1, -1],
];

/** Brightness (0..16 per pixel) of `shape` with its top-left corner at (px, py) quarter-pixels, into `image`. */
function render(bitmap: Uint8Array, px: number, py: number, image: Uint8Array) {
  image.fill(0);
  const x0 = Math.max(0, Math.floor(px / SUB));
  const y0 = Math.max(0, Math.floor(py / SUB));
  const x1 = Math.min(SIDE - 1, Math.floor((px + SHAPE * SUB - 1) / SUB));
  const y1 = Math.min(SIDE - 1, Math.floor((py + SHAPE * SUB - 1) / SUB));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      let covered = 0;
      for (let sy = 0; sy < SUB; sy++) {
        const row = Math.floor((y * SUB + sy - py) / SUB);
        if (row < 0 || row >= SHAPE) continue;
        for (let sx = 0; sx < SUB; sx++) {
          const col = Math.floor((x * SUB + sx - px) / SUB);
          if (col >= 0 && col < SHAPE) covered += bitmap[row * SHAPE + col];
        }
      }
      image[y * SIDE + x] = covered;
    }
  }
}

/** One recording: three saccades of the class's shape from a random start, with background noise. */
function recording(label: number, rng: () => number, steps: number, stepMicros: number, noise: number): Events {
  const bitmap = BITMAPS[label];
  const max = (SIDE - SHAPE) * SUB; // top-left corner positions 0..max quarter-pixels
  let px = (4 + randomIndex(rng, SIDE - SHAPE - 7)) * SUB + randomIndex(rng, SUB);
  let py = (4 + randomIndex(rng, SIDE - SHAPE - 7)) * SUB + randomIndex(rng, SUB);
  const path: Array<[number, number]> = [[px, py]];
  for (let saccade = 0; saccade < 3; saccade++) {
    const [dx, dy] = DIRECTIONS[randomIndex(rng, DIRECTIONS.length)];
    const length = (3 + randomIndex(rng, 4)) * SUB + randomIndex(rng, SUB);
    let ex = px + dx * length;
    let ey = py + dy * length;
    if (ex < 0 || ex > max) ex = px - dx * length;
    if (ey < 0 || ey > max) ey = py - dy * length;
    ex = Math.min(max, Math.max(0, ex));
    ey = Math.min(max, Math.max(0, ey));
    for (let j = 1; j <= steps; j++) {
      path.push([px + Math.floor(((ex - px) * j) / steps), py + Math.floor(((ey - py) * j) / steps)]);
    }
    px = ex;
    py = ey;
  }
  const before = new Uint8Array(SIDE * SIDE);
  const after = new Uint8Array(SIDE * SIDE);
  render(bitmap, path[0][0], path[0][1], before);
  const capacity = (path.length - 1) * (SIDE * SIDE * 4 + noise);
  const events = allocateEvents(Math.min(capacity, 1 << 20));
  let count = 0;
  const stepEvents: Array<[number, number, number, number]> = [];
  for (let k = 1; k < path.length; k++) {
    render(bitmap, path[k][0], path[k][1], after);
    stepEvents.length = 0;
    for (let pixel = 0; pixel < SIDE * SIDE; pixel++) {
      const change = after[pixel] - before[pixel];
      const n = Math.floor(Math.abs(change) / CONTRAST);
      for (let e = 0; e < n; e++) {
        stepEvents.push([randomIndex(rng, stepMicros), pixel % SIDE, Math.floor(pixel / SIDE), change > 0 ? 1 : 0]);
      }
    }
    const noiseCount = randomIndex(rng, noise + 1);
    for (let e = 0; e < noiseCount; e++) {
      stepEvents.push([randomIndex(rng, stepMicros), randomIndex(rng, SIDE), randomIndex(rng, SIDE), randomIndex(rng, 2)]);
    }
    // Stable by time within the step (Array.prototype.sort is stable since ES2019).
    stepEvents.sort((a, b) => a[0] - b[0]);
    for (const [dt, x, y, p] of stepEvents) {
      if (count === events.t.length) break;
      events.x[count] = x;
      events.y[count] = y;
      events.t[count] = (k - 1) * stepMicros + dt;
      events.p[count] = p;
      count++;
    }
    before.set(after);
  }
  return truncateEvents(events, count);
}

/**
 * The shipped synthetic event dataset: `samples` recordings on a 32 × 32 × 2 sensor, sample i of class i mod 10
 * (see SYNTHETIC_EVENT_CLASSES), each a 10 × 10 shape moved along three random saccades (3–7 pixels each, in one
 * of 8 directions, `stepsPerSaccade` steps of `stepMicros` µs) with ON events where brightness rises by 4/16 of a
 * pixel and OFF events where it falls, plus a little background noise. Deterministic: recording i depends only on
 * `seed` and i, through integer arithmetic and mulberry32, so every machine makes the same events.
 *
 * @example
 * ```js
 * const data = snn.data.syntheticEvents({samples: 20, seed: 0});
 * console.log(data.samples.length, data.sensorSize, data.classes[data.labels[3]]);   // 20 [32, 32, 2] cross
 * const frames = snn.data.toFrames(data.samples[3], {sensorSize: data.sensorSize, nTimeBins: 8});
 * console.log(frames.shape);                                                          // [8, 32, 32, 2]
 * ```
 */
export function syntheticEvents(options?: SyntheticEventsOptions): EventDataset {
  const fn = 'syntheticEvents';
  const opts = optionsObject(fn, options);
  const known = ['samples', 'seed', 'stepsPerSaccade', 'stepMicros', 'noise'];
  const unknown = Object.keys(opts).find(key => !known.includes(key));
  if (unknown != null) throw new Error(`${fn}: unknown option '${unknown}'; expected ${known.join(', ')}`);
  const samples = integerOption(fn, 'samples', opts.samples ?? 1000, 1);
  const seed = integerOption(fn, 'seed', opts.seed ?? 0, Number.MIN_SAFE_INTEGER);
  const steps = integerOption(fn, 'stepsPerSaccade', opts.stepsPerSaccade ?? 10, 1);
  const stepMicros = integerOption(fn, 'stepMicros', opts.stepMicros ?? 1000, 1);
  const noise = integerOption(fn, 'noise', opts.noise ?? 2, 0);
  if (samples > 1e6) throw new Error(`${fn}: option 'samples' must be at most 1000000; got ${describeValue(samples)}`);
  const list: Events[] = [];
  const labels = new Int32Array(samples);
  for (let i = 0; i < samples; i++) {
    labels[i] = i % BITMAPS.length;
    const rng = mulberry32((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
    list.push(recording(labels[i], rng, steps, stepMicros, noise));
  }
  return {samples: list, labels, sensorSize: [SIDE, SIDE, 2] as SensorSize, classes: [...SYNTHETIC_EVENT_CLASSES]};
}
