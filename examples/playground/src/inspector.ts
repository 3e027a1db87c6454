/** One test example through the network: its input per step, a spike raster, the prediction as it forms. */
import type {LayerTrace, Trace} from '../../../dist/types/src/analysis/index';

import {LiveChart} from './charts.js';
import {PageDataset, timeStepsOf} from './dataset.js';
import {ConfidenceSettings, confidenceExit} from './early_exit.js';
import {Player} from './player.js';
import {element, percent, setText} from './ui.js';

const FRAME_SCALE = 2;

export async function inspect(
  model: tf.LayersModel,
  dataset: PageDataset,
  index: number,
  predictionChart: LiveChart,
  confidence: ConfidenceSettings,
  player: Player
): Promise<Trace> {
  const {x, y} = dataset.testTensors(index, 1, timeStepsOf(model));
  let trace: Trace;
  let exit: {step: number; prediction: number};
  try {
    trace = snn.analysis.trace(model, x);
    exit = confidenceExit(model, x, confidence);
  } finally {
    tf.dispose([x, y]);
  }
  const names = dataset.classNames;
  drawInputFrames(trace.layers[0], dataset);
  drawRaster(lastSpikingLayer(trace));
  await predictionChart.replace(
    trace.probabilities.flatMap((row, t) =>
      row.map((probability, c) => ({
        step: t + 1,
        class: names[c],
        probability,
      }))
    )
  );
  player.load(animationOf(trace, dataset, index));
  const label = dataset.testLabels(index, 1)[0];
  const path = trace.predictions.map(c => names[c]).join(' → ');
  const verdict = trace.predictions[trace.predictions.length - 1] === label ? 'correct' : 'wrong';
  const item = dataset.items.slice(0, -1);
  setText(
    'inspect-result',
    `${item[0].toUpperCase()}${item.slice(1)} #${index}, label ${names[label]}. Prediction after each step: ` +
      `${path} (${verdict}). The confidence policy (margin ${confidence.threshold}, patience ` +
      `${confidence.patience}) stops it after ${exit.step} of ${trace.timeSteps} steps with ` +
      `${names[exit.prediction]}.`
  );
  return trace;
}

function lastSpikingLayer(trace: Trace): LayerTrace {
  const spiking = trace.layers.filter(l => l.role === 'neuron' && l.spikes);
  return spiking[spiking.length - 1] ?? trace.layers[trace.layers.length - 1];
}

/** The example played frame by frame: the dataset's finer frames where it has them, else the traced input steps. */
function animationOf(trace: Trace, dataset: PageDataset, index: number) {
  const input = trace.layers[0];
  const fine = dataset.playback(index, trace.timeSteps);
  const frames = fine?.frames ?? input.values;
  const perStep = fine?.perStep ?? 1;
  const names = dataset.classNames;
  return {
    frames,
    shape: input.shape,
    range: dataset.frameRange(frames),
    perStep,
    draw: dataset.drawFrame.bind(dataset),
    caption: (frame: number, step: number) => {
      const p = trace.probabilities[step];
      const best = trace.predictions[step];
      const what = fine == null ? 'the input' : `${fine.frameCaption}`;
      return (
        `frame ${frame + 1} of ${frames.length} (${what}), in step ${step + 1} of ${trace.timeSteps} · ` +
        `prediction after this step: ${names[best]} (${percent(p[best], 0)})`
      );
    },
  };
}

/** One small image per step of the model's input (the encoder's output, or the input train). */
function drawInputFrames(input: LayerTrace, dataset: PageDataset): void {
  const container = element('input-frames');
  container.replaceChildren();
  const [height, width] = input.shape;
  const range = dataset.frameRange(input.values);
  input.values.forEach((values, t) => {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    canvas.style.width = `${width * FRAME_SCALE}px`;
    canvas.style.height = `${height * FRAME_SCALE}px`;
    const pixels = new ImageData(width, height);
    dataset.drawFrame(values, range, pixels);
    canvas.getContext('2d')!.putImageData(pixels, 0, 0);
    const figure = document.createElement('figure');
    figure.append(canvas, Object.assign(document.createElement('figcaption'), {textContent: `t = ${t + 1}`}));
    container.append(figure);
  });
  setText('input-caption', dataset.inputCaption(input));
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
