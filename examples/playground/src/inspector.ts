/** One test image through the network: its input per step, a spike raster and the prediction as it forms. */
import type {ImageDataset} from '../../../dist/types/src/data/index';
import type {LayerTrace, Trace} from '../../../dist/types/src/analysis/index';

import {LiveChart} from './charts.js';
import {CLASS_NAMES, tensorsOf} from './data.js';
import {ConfidenceSettings, confidenceExit} from './early_exit.js';
import {element, setText} from './ui.js';

const FRAME_SCALE = 2;

export async function inspect(
  model: tf.LayersModel,
  test: ImageDataset,
  index: number,
  predictionChart: LiveChart,
  confidence: ConfidenceSettings
): Promise<Trace> {
  const {x, y} = tensorsOf(test, index, 1);
  let trace: Trace;
  let exit: {step: number; prediction: number};
  try {
    trace = snn.analysis.trace(model, x);
    exit = confidenceExit(model, x, confidence);
  } finally {
    tf.dispose([x, y]);
  }
  drawInputFrames(trace.layers[0]);
  drawRaster(lastSpikingLayer(trace));
  await predictionChart.replace(
    trace.probabilities.flatMap((row, t) =>
      row.map((probability, c) => ({
        step: t + 1,
        class: CLASS_NAMES[c],
        probability,
      }))
    )
  );
  const label = test.labels[index];
  const path = trace.predictions.map(c => CLASS_NAMES[c]).join(' → ');
  const verdict = trace.predictions[trace.predictions.length - 1] === label ? 'correct' : 'wrong';
  setText(
    'inspect-result',
    `Image #${index}, label ${CLASS_NAMES[label]}. Prediction after each step: ${path} ` +
      `(${verdict}). The confidence policy (margin ${confidence.threshold}, patience ${confidence.patience}) ` +
      `stops it after ${exit.step} of ${trace.timeSteps} steps with ${CLASS_NAMES[exit.prediction]}.`
  );
  return trace;
}

function lastSpikingLayer(trace: Trace): LayerTrace {
  const spiking = trace.layers.filter(l => l.role === 'neuron' && l.spikes);
  return spiking[spiking.length - 1] ?? trace.layers[trace.layers.length - 1];
}

/** One small image per step of the encoder's output (spikes, or the analog input repeated). */
function drawInputFrames(input: LayerTrace): void {
  const container = element('input-frames');
  container.replaceChildren();
  const [height, width] = input.shape;
  const all = input.values.flatMap(v => Array.from(v));
  const low = Math.min(0, ...all);
  const high = Math.max(...all, low + 1e-6);
  input.values.forEach((values, t) => {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    canvas.style.width = `${width * FRAME_SCALE}px`;
    canvas.style.height = `${height * FRAME_SCALE}px`;
    const pixels = new ImageData(width, height);
    values.forEach((v, i) => {
      const shade = 255 - Math.round((255 * (v - low)) / (high - low));
      pixels.data.set([shade, shade, shade, 255], 4 * i);
    });
    canvas.getContext('2d')!.putImageData(pixels, 0, 0);
    const figure = document.createElement('figure');
    figure.append(canvas, Object.assign(document.createElement('figcaption'), {textContent: `t = ${t + 1}`}));
    container.append(figure);
  });
  const poisson = input.spikes;
  setText(
    'input-caption',
    poisson
      ? `Poisson input spike train over ${input.values.length} steps, as in the BNTT paper: a pixel whose ` +
          'normalised value is v spikes with probability |v| and the sign of v (black +1, white −1, grey none)'
      : `direct input: the analog image is the input current at every one of the ${input.values.length} steps; ` +
          'the first convolution + BNTT + LIF turns it into spikes'
  );
}

/** Neurons (rows) × steps (columns), a dark cell per spike. */
function drawRaster(layer: LayerTrace): void {
  const canvas = element<HTMLCanvasElement>('raster');
  const steps = layer.values.length;
  const neurons = layer.values[0].length;
  const shown = Math.min(neurons, 256);
  const cell = {width: Math.floor(canvas.width / steps), height: canvas.height / shown};
  const context = canvas.getContext('2d')!;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = '#1f4e96';
  let spikes = 0;
  layer.values.forEach((values, t) => {
    for (let n = 0; n < shown; n++) {
      if (values[n] === 0) continue;
      spikes++;
      context.fillRect(t * cell.width, n * cell.height, cell.width - 1, Math.max(cell.height, 1));
    }
  });
  canvas.dataset.spikes = String(spikes);
  const which = shown < neurons ? `the first ${shown} of ${neurons}` : `all ${neurons}`;
  setText(
    'raster-caption',
    `spike raster of '${layer.layer}', the last spiking layer (${which} neurons × ` +
      `${steps} steps): ${spikes} spikes`
  );
}
