/**
 * The playground page: train the small BNTT network on the embedded Fashion-MNIST subset, watch it learn,
 * inspect one image, read the temporal early exit off the model, and load models saved in Node.
 * `window.playground` exposes the page's state for scripts and the end-to-end test.
 */
import {chooseBackend} from './backend.js';
import {barChart, gammaChart, lineChart, LiveChart, probabilityChart} from './charts.js';
import {loadSubset, Subset, tensorsOf} from './data.js';
import {analyseExits, ConfidenceSettings, ExitAnalysis, ExitCharts, showGammaRule} from './early_exit.js';
import {evaluate, Evaluation, predictLogits} from './evaluation.js';
import {inspect} from './inspector.js';
import {checkModelFits, describeModel, loadFromFiles, loadFromUrl} from './model_source.js';
import {BatchReport, buildModel, TrainingRun, TrainSettings} from './training.js';
import {element, enable, numberField, onClick, percent, setStatus, setText, showError} from './ui.js';

interface Charts extends ExitCharts {
  loss: LiveChart;
  accuracy: LiveChart;
  rates: LiveChart;
  prediction: LiveChart;
}

/** The accuracy chart's lines: every training batch, and the test images after each epoch. */
const SERIES = ['training batch', 'test images'];
const MODEL_BUTTONS = ['evaluate', 'inspect', 'inspect-random', 'analyse', 'download'];
const LOAD_BUTTONS = ['train', 'load-url', 'load-files'];

const state = {
  backend: '',
  data: null as Subset | null,
  model: null as tf.LayersModel | null,
  modelSource: '',
  run: null as TrainingRun | null,
  batchesDone: 0,
  history: {loss: [] as number[], accuracy: [] as number[], testAccuracy: [] as number[]},
  lastEvaluation: null as Evaluation | null,
  lastExitAnalysis: null as ExitAnalysis | null,
  busy: false,
};

function makeCharts(): Charts {
  const at = (id: string) => element(id);
  return {
    loss: lineChart(at('loss-chart'), ['batch', 'batch'], ['loss', 'loss']),
    accuracy: lineChart(at('accuracy-chart'), ['batch', 'batch'], ['accuracy', 'accuracy'], {
      series: {field: 'series', names: SERIES},
      yDomain: [0, 1],
      points: true,
    }),
    rates: barChart(at('rates-chart'), ['layer', 'layer'], ['rate', 'firing rate']),
    prediction: probabilityChart(at('prediction-chart')),
    gamma: gammaChart(at('gamma-chart')),
    steps: lineChart(at('steps-chart'), ['step', 'time steps run'], ['accuracy', 'test accuracy'], {
      points: true,
      xType: 'ordinal',
    }),
    exits: barChart(at('exits-chart'), ['step', 'exit step'], ['images', 'test images']),
  };
}

/** A model and, for one trained here, its optimizer's state (model.dispose leaves that). */
function disposeModel(model: tf.LayersModel): void {
  model.optimizer?.dispose();
  model.dispose();
}

function data(): Subset {
  if (state.data == null) throw new Error('the data has not loaded yet');
  return state.data;
}

function currentModel(): tf.LayersModel {
  if (state.model == null) throw new Error('no model yet: train one or load one first');
  return state.model;
}

function trainSettings(): TrainSettings {
  return {
    timeSteps: numberField('time-steps'),
    encoder: element<HTMLSelectElement>('encoder').value as TrainSettings['encoder'],
    neuron: element<HTMLSelectElement>('neuron').value as TrainSettings['neuron'],
    batchSize: numberField('batch-size'),
    epochs: numberField('epochs'),
    learningRate: numberField('learning-rate', {integer: false}),
    trainImages: numberField('train-images'),
  };
}

function confidenceSettings(): ConfidenceSettings {
  return {threshold: numberField('confidence-threshold', {integer: false}), patience: numberField('patience')};
}

/** Runs one task at a time, with the model's buttons off meanwhile. */
async function exclusive(what: string, task: () => Promise<void>): Promise<void> {
  if (state.busy) throw new Error(`wait: ${what} has to wait for the task in progress`);
  state.busy = true;
  enable([...MODEL_BUTTONS, ...LOAD_BUTTONS], false);
  try {
    await task();
  } finally {
    state.busy = false;
    enable(LOAD_BUTTONS, true);
    enable(MODEL_BUTTONS, state.model != null);
  }
}

/** Makes `model` the current one; `evaluation`: its evaluation when already made (at the end of training). */
async function useModel(
  model: tf.LayersModel,
  source: string,
  charts: Charts,
  evaluation: Evaluation | null = null
): Promise<void> {
  if (state.model != null && state.model !== model) disposeModel(state.model);
  state.model = model;
  state.modelSource = source;
  state.lastExitAnalysis = null;
  setText('model-summary', `Current model (${source}): ${describeModel(model)}.`);
  if (evaluation != null && evaluation.count === numberField('test-images')) {
    showEvaluation(evaluation);
  } else {
    await evaluateModel();
  }
  await updateGammaRule(charts);
  await charts.steps.clear();
  await charts.exits.clear();
  setText('exit-result', '');
  await inspectImage(numberField('image-index'), charts);
}

async function evaluateModel(): Promise<void> {
  const count = numberField('test-images');
  setStatus(`evaluating on ${count} test images…`);
  showEvaluation(await evaluate(currentModel(), data().test, count));
  setStatus('ready');
}

function showEvaluation(evaluation: Evaluation): void {
  state.lastEvaluation = evaluation;
  setText(
    'evaluation',
    `Test accuracy on the first ${evaluation.count} test images: ` +
      `${percent(evaluation.accuracy)} (${state.backend}).`
  );
}

async function updateGammaRule(charts: Charts): Promise<void> {
  const threshold = Number(element<HTMLInputElement>('gamma-threshold').value);
  setText('gamma-threshold-value', threshold.toFixed(2));
  if (state.model == null) return;
  await showGammaRule(state.model, threshold, charts, state.lastExitAnalysis?.accuracy ?? null);
}

async function inspectImage(index: number, charts: Charts): Promise<void> {
  element<HTMLInputElement>('image-index').value = String(index);
  await inspect(currentModel(), data().test, index, charts.prediction, confidenceSettings());
}

async function train(charts: Charts): Promise<void> {
  const settings = trainSettings();
  const {x, y} = tensorsOf(data().train, 0, settings.trainImages);
  if (state.model != null) disposeModel(state.model);
  state.model = null;
  state.batchesDone = 0;
  state.history = {loss: [], accuracy: [], testAccuracy: []};
  await Promise.all([charts.loss.clear(), charts.accuracy.clear(), charts.rates.clear()]);
  const model = buildModel(settings);
  // The test evaluation after the last epoch, and after how many batches it was made.
  let epochEnd = null as {evaluation: Evaluation; batches: number} | null;
  const run = new TrainingRun(model, settings, {
    onBatch: report => showBatch(report, settings, charts),
    onEpoch: async epoch => {
      epochEnd = {evaluation: await showEpoch(model, epoch, charts), batches: state.batchesDone};
    },
  });
  state.run = run;
  enable(['pause', 'stop'], true);
  setStatus('training…');
  try {
    await run.run(x, y);
  } finally {
    tf.dispose([x, y]);
    state.run = null;
    enable(['pause', 'stop'], false);
    setText('pause', 'Pause');
  }
  setText('progress-text', `${element('progress-text').textContent} · ${run.wasStopped ? 'stopped' : 'finished'}`);
  // Stopped mid-epoch, the model has changed since its last evaluation; otherwise that one is current.
  const current = epochEnd?.batches === state.batchesDone ? epochEnd.evaluation : null;
  await useModel(model, `trained in this page, ${state.batchesDone} batches`, charts, current);
}

async function showBatch(report: BatchReport, settings: TrainSettings, charts: Charts): Promise<void> {
  state.batchesDone = report.done;
  state.history.loss.push(report.loss);
  state.history.accuracy.push(report.accuracy);
  const total = settings.epochs * report.batchesPerEpoch;
  const progress = element<HTMLProgressElement>('progress');
  progress.max = total;
  progress.value = report.done;
  setText(
    'progress-text',
    `epoch ${report.epoch + 1}/${settings.epochs} · batch ${report.batch + 1}/` +
      `${report.batchesPerEpoch} · loss ${report.loss.toFixed(3)} · batch accuracy ${percent(report.accuracy)} · ` +
      `lr ${report.learningRate.toPrecision(3)} · ` +
      `${report.secondsPerBatch.toFixed(2)} s per batch` +
      (state.run?.isPaused ? ' · paused' : '')
  );
  await charts.loss.append([{batch: report.done, loss: report.loss}]);
  await charts.accuracy.append([{batch: report.done, accuracy: report.accuracy, series: SERIES[0]}]);
  await charts.rates.replace(report.rates.map(r => ({layer: r.layer, rate: r.rate})));
}

async function showEpoch(model: tf.LayersModel, epoch: number, charts: Charts): Promise<Evaluation> {
  const evaluation = await evaluate(model, data().test, numberField('test-images'));
  state.history.testAccuracy.push(evaluation.accuracy);
  await charts.accuracy.append([{batch: state.batchesDone, accuracy: evaluation.accuracy, series: SERIES[1]}]);
  setStatus(`training… epoch ${epoch + 1}: test accuracy ${percent(evaluation.accuracy)}`);
  return evaluation;
}

function togglePause(): void {
  const run = state.run;
  if (run == null) return;
  if (run.isPaused) {
    run.resume();
    setText('pause', 'Pause');
    setStatus('training…');
  } else {
    run.pause();
    setText('pause', 'Resume');
    setStatus('paused after this batch: Resume to go on');
  }
}

function wire(charts: Charts): void {
  onClick('train', () => exclusive('training', () => train(charts)));
  onClick('pause', togglePause);
  onClick('stop', () => {
    state.run?.stop();
    setStatus('stopping after this batch…');
  });
  onClick('load-url', () =>
    exclusive('loading', async () => {
      const url = element<HTMLInputElement>('model-url').value;
      setStatus(`loading ${url}…`);
      const model = await loadFromUrl(url);
      checkModelFits(model, url);
      await useModel(model, `loaded from ${url}`, charts);
    })
  );
  onClick('load-files', () =>
    exclusive('loading', async () => {
      const files = element<HTMLInputElement>('model-files').files;
      const model = await loadFromFiles(files);
      checkModelFits(model, 'the picked files');
      await useModel(
        model,
        `loaded from ${Array.from(files ?? [])
          .map(f => f.name)
          .join(' + ')}`,
        charts
      );
    })
  );
  onClick('download', async () => {
    await currentModel().save('downloads://tfjs-snn-playground');
  });
  onClick('evaluate', () => exclusive('evaluation', evaluateModel));
  onClick('inspect', () => exclusive('inspection', () => inspectImage(numberField('image-index'), charts)));
  onClick('inspect-random', () =>
    exclusive('inspection', () => inspectImage(Math.floor(Math.random() * data().test.count), charts))
  );
  onClick('analyse', () =>
    exclusive('the analysis', async () => {
      const count = numberField('test-images');
      setStatus(`running the early-exit analysis on ${count} test images…`);
      state.lastExitAnalysis = await analyseExits(currentModel(), data().test, count, confidenceSettings(), charts);
      await updateGammaRule(charts);
      setStatus('ready');
    })
  );
  element('gamma-threshold').addEventListener('input', () => {
    updateGammaRule(charts).catch(showError);
  });
}

/** What each neuron kind is, for the selector (a Record: a new kind in snn.models.NEURONS needs a line here). */
const NEURON_LABELS: Record<snn.models.NeuronKind, string> = {
  lif: "LIF (fixed leak, the paper's)",
  plif: 'PLIF (leak learnt)',
  if: 'IF (no leak)',
  alif: 'ALIF (adaptive threshold)',
  cubaLif: 'CUBA-LIF (synaptic current)',
};

function fillNeuronSelector(): void {
  const select = element<HTMLSelectElement>('neuron');
  select.replaceChildren(
    ...snn.models.NEURONS.map(kind =>
      Object.assign(document.createElement('option'), {value: kind, textContent: NEURON_LABELS[kind]})
    )
  );
  select.value = 'lif';
}

async function start(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const backend = await chooseBackend(params.get('backend'));
  state.backend = backend.name;
  setText('backend', `backend: ${backend.description} · tfjs ${tf.version.tfjs} · tfjs-snn ${snn.version}`);
  if (backend.notice != null) {
    element('notice').hidden = false;
    setText('notice', backend.notice);
  }
  fillNeuronSelector();
  const charts = makeCharts();
  wire(charts);
  state.data = await loadSubset(params.get('data') ?? 'data/fashion-mnist-subset');
  enable(LOAD_BUTTONS, true);
  setStatus(
    `ready: ${state.data.train.count} training and ${state.data.test.count} test images. Train a model, ` +
      'or load the pretrained one.'
  );
}

/** For scripts and the end-to-end test: the page's state and the current model's logits on test images. */
const playground = {
  state,
  ready: null as Promise<void> | null,
  /** tf.memory(): the page's tensors and bytes (a model's weights, the data stays in JavaScript arrays). */
  memory: () => tf.memory(),
  predict: (start: number, count: number) => predictLogits(currentModel(), data().test, start, count),
};
(window as unknown as {playground: typeof playground}).playground = playground;

enable([...LOAD_BUTTONS, ...MODEL_BUTTONS], false);
playground.ready = start().catch(e => {
  showError(e);
  throw e;
});
