/**
 * The playground page: train the small BNTT network on the embedded Fashion-MNIST subset or on synthetic event
 * recordings generated in the page, watch it learn, inspect one example (and play it), read the temporal early exit
 * off the model, and load models saved in Node.
 * `window.playground` exposes the page's state for scripts and the end-to-end test.
 */
import {BACKEND_LABELS, chooseBackend, PAGE_BACKENDS, PageBackend} from './backend.js';
import {barChart, gammaChart, lineChart, LiveChart, probabilityChart} from './charts.js';
import {loadSubset} from './data.js';
import {DATASET_IDS, DatasetId, PageDataset} from './dataset.js';
import {analyseExits, ConfidenceSettings, ExitAnalysis, ExitCharts, showGammaRule} from './early_exit.js';
import {evaluate, Evaluation, predictLogits} from './evaluation.js';
import {generateSyntheticEvents} from './event_data.js';
import {inspect} from './inspector.js';
import {
  checkModelFits,
  describeModel,
  isNir,
  isNirUrl,
  loadFromFiles,
  loadFromUrl,
  NirSettings,
} from './model_source.js';
import {Player} from './player.js';
import {BatchReport, buildModel, TrainingRun, TrainSettings} from './training.js';
import {element, enable, nextFrame, numberField, onClick, percent, setStatus, setText, showError} from './ui.js';

interface Charts extends ExitCharts {
  loss: LiveChart;
  accuracy: LiveChart;
  rates: LiveChart;
  prediction: LiveChart;
}

/** The accuracy chart's lines: every training batch, and the test examples after each epoch. */
const SERIES = ['training batch', 'test set'];
const MODEL_BUTTONS = ['evaluate', 'inspect', 'inspect-random', 'analyse', 'download', 'play'];
const LOAD_BUTTONS = ['train', 'load-url', 'load-files'];

const player = new Player();

const state = {
  backend: '',
  data: null as PageDataset | null,
  /** Each dataset once loaded (or generated), by the selector's value. */
  loaded: new Map<DatasetId, PageDataset>(),
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
    exits: barChart(at('exits-chart'), ['step', 'exit step'], ['examples', 'test examples']),
  };
}

/** A model and, for one trained here, its optimizer's state (model.dispose leaves that). */
function disposeModel(model: tf.LayersModel): void {
  model.optimizer?.dispose();
  model.dispose();
}

function data(): PageDataset {
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

/** A .nir file runs for the T of the training form, its neurons discretised with the dt field. */
function nirSettings(): NirSettings {
  return {dt: numberField('nir-dt', {integer: false}), timeSteps: numberField('time-steps')};
}

/** ", loaded as NIR for T steps of dt" when `name` is a .nir file. */
function nirNote(isNirFile: boolean, nir: NirSettings): string {
  return isNirFile ? ` (NIR: ${nir.timeSteps} steps of ${nir.dt} s, mean over time)` : '';
}

function confidenceSettings(): ConfidenceSettings {
  return {threshold: numberField('confidence-threshold', {integer: false}), patience: numberField('patience')};
}

/** Runs one task at a time, with the model's buttons off and the animation stopped meanwhile. */
async function exclusive(what: string, task: () => Promise<void>): Promise<void> {
  if (state.busy) throw new Error(`wait: ${what} has to wait for the task in progress`);
  state.busy = true;
  player.stop();
  enable([...MODEL_BUTTONS, ...LOAD_BUTTONS], false);
  element<HTMLSelectElement>('dataset').disabled = true;
  try {
    await task();
  } finally {
    state.busy = false;
    enable(LOAD_BUTTONS, true);
    enable(MODEL_BUTTONS, state.model != null);
    enable(['play'], state.model != null && player.hasAnimation);
    element<HTMLSelectElement>('dataset').disabled = false;
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
  setStatus(`evaluating on ${count} test ${data().items}…`);
  showEvaluation(await evaluate(currentModel(), data(), count));
  setStatus('ready');
}

function showEvaluation(evaluation: Evaluation): void {
  state.lastEvaluation = evaluation;
  setText(
    'evaluation',
    `Test accuracy on the first ${evaluation.count} test ${data().items}: ` +
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
  await inspect(currentModel(), data(), index, charts.prediction, confidenceSettings(), player);
}

async function train(charts: Charts): Promise<void> {
  const settings = trainSettings();
  const dataset = data();
  if (state.model != null) disposeModel(state.model);
  state.model = null;
  player.clear();
  state.batchesDone = 0;
  state.history = {loss: [], accuracy: [], testAccuracy: []};
  await Promise.all([charts.loss.clear(), charts.accuracy.clear(), charts.rates.clear()]);
  const model = buildModel(settings, dataset);
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
    await run.run(dataset);
  } finally {
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
  const evaluation = await evaluate(model, data(), numberField('test-images'));
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
      const nir = nirSettings();
      setStatus(`loading ${url}…`);
      const model = await loadFromUrl(url, nir);
      checkModelFits(model, url, data());
      await useModel(model, `loaded from ${url}${nirNote(isNirUrl(url), nir)}`, charts);
    })
  );
  onClick('load-files', () =>
    exclusive('loading', async () => {
      const files = Array.from(element<HTMLInputElement>('model-files').files ?? []);
      const nir = nirSettings();
      const model = await loadFromFiles(files, nir);
      const names = files.map(f => f.name).join(' + ');
      checkModelFits(model, names, data());
      await useModel(
        model,
        `loaded from ${names}${nirNote(
          files.some(f => isNir(f.name)),
          nir
        )}`,
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
    exclusive('inspection', () => inspectImage(Math.floor(Math.random() * data().testCount), charts))
  );
  onClick('analyse', () =>
    exclusive('the analysis', async () => {
      const count = numberField('test-images');
      setStatus(`running the early-exit analysis on ${count} test ${data().items}…`);
      state.lastExitAnalysis = await analyseExits(currentModel(), data(), count, confidenceSettings(), charts);
      await updateGammaRule(charts);
      setStatus('ready');
    })
  );
  onClick('play', () => player.toggle());
  element('dataset').addEventListener('change', () => {
    const id = element<HTMLSelectElement>('dataset').value as DatasetId;
    exclusive('switching the data', () => useDataset(id, charts)).catch(showError);
  });
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

/** The backend selector: the one running; picking another reloads the page with ?backend= (other parameters kept). */
function fillBackendSelector(running: PageBackend): void {
  const select = element<HTMLSelectElement>('backend-select');
  select.replaceChildren(
    ...PAGE_BACKENDS.map(name =>
      Object.assign(document.createElement('option'), {value: name, textContent: BACKEND_LABELS[name]})
    )
  );
  select.value = running;
  select.addEventListener('change', () => {
    const params = new URLSearchParams(location.search);
    params.set('backend', select.value);
    location.search = params.toString();
  });
}

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
  fillBackendSelector(backend.name);
  setText('backend', `backend: ${backend.description} · tfjs ${tf.version.tfjs} · tfjs-snn ${snn.version}`);
  if (backend.notice != null) {
    element('notice').hidden = false;
    setText('notice', backend.notice);
  }
  fillNeuronSelector();
  const charts = makeCharts();
  wire(charts);
  state.loaded.set('fashion-mnist', await loadSubset(params.get('data') ?? 'data/fashion-mnist-subset'));
  const requested = params.get('dataset') ?? 'fashion-mnist';
  if (!(DATASET_IDS as readonly string[]).includes(requested)) {
    throw new Error(
      `the URL parameter 'dataset' must be ${DATASET_IDS.map(d => `'${d}'`).join(' or ')}; got '${requested}'`
    );
  }
  element<HTMLSelectElement>('dataset').value = requested;
  await exclusive('loading the data', () => useDataset(requested as DatasetId, charts));
}

/** The data generated in the page, by the selector's value (the Fashion-MNIST subset is fetched at start). */
const GENERATORS: Partial<Record<DatasetId, () => PageDataset>> = {'synthetic-events': generateSyntheticEvents};

/**
 * Makes `id` the current data: generated the first time, the fields' limits set to its sizes, the encoder selector
 * off for spike-train data. A model for other data is disposed (it cannot run on these).
 */
async function useDataset(id: DatasetId, charts: Charts): Promise<void> {
  let dataset = state.loaded.get(id);
  if (dataset == null) {
    setStatus('generating the synthetic event recordings…');
    await nextFrame(); // the status line is painted before the page is busy generating
    dataset = GENERATORS[id]!();
    state.loaded.set(id, dataset);
  }
  if (state.data !== dataset) {
    player.clear();
    if (state.model != null) disposeModel(state.model);
    state.model = null;
    state.lastEvaluation = null;
    state.lastExitAnalysis = null;
    setText('model-summary', 'No model yet: train one above, or load one saved by tfjs-snn train in Node.');
    for (const id of ['evaluation', 'inspect-result', 'exit-step', 'exit-result']) setText(id, '');
    element('input-frames').replaceChildren();
    await Promise.all([charts.prediction, charts.gamma, charts.steps, charts.exits].map(c => c.clear()));
  }
  state.data = dataset;
  setLimit('train-images', dataset.trainCount);
  setLimit('test-images', dataset.testCount);
  setLimit('image-index', dataset.testCount - 1);
  const encoder = element<HTMLSelectElement>('encoder');
  encoder.disabled = dataset.encoder != null;
  element('encoder-note').hidden = dataset.encoder == null;
  // The URL field follows the data while it holds a pretrained model's address (not one the user typed).
  const url = element<HTMLInputElement>('model-url');
  const pretrained = [...state.loaded.values()].map(d => d.pretrained);
  if (dataset.pretrained != null && (url.value === '' || pretrained.includes(url.value)))
    url.value = dataset.pretrained;
  const hint = dataset.pretrained != null ? 'Train a model, or load the pretrained one.' : 'Train a model.';
  setStatus(`ready: ${dataset.describe()}. ${hint}`);
}

/** Sets input #id's max, and its value down to it when above. */
function setLimit(id: string, max: number): void {
  const input = element<HTMLInputElement>(id);
  input.max = String(max);
  if (Number(input.value) > max) input.value = String(max);
}

/** For scripts and the end-to-end test: the page's state and the current model's logits on test images. */
const playground = {
  state,
  ready: null as Promise<void> | null,
  /** tf.memory(): the page's tensors and bytes (a model's weights, the data stays in JavaScript arrays). */
  memory: () => tf.memory(),
  predict: (start: number, count: number) => predictLogits(currentModel(), data(), start, count),
  /** The inspector's animation: whether it plays, and the frame it shows. */
  animation: () => ({playing: player.isPlaying, frame: player.currentFrame}),
};
(window as unknown as {playground: typeof playground}).playground = playground;

enable([...LOAD_BUTTONS, ...MODEL_BUTTONS], false);
playground.ready = start().catch(e => {
  showError(e);
  throw e;
});
