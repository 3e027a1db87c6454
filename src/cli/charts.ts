/**
 * The analysis report's charts: vega-lite specifications rendered to SVG strings in Node (no browser, no canvas).
 * vega and vega-lite are optional peer dependencies, loaded on first use: a library install does not pull them.
 */
import type * as vega from 'vega';
import type * as vl from 'vega-lite';

import type {GammaProfile} from '../analysis/gamma_profile';
import type {LayerSpikeRate} from '../analysis/spike_rates';

const WIDTH = 420;
const HEIGHT = 240;

/** Loads a module by name (`require` by default; the tests pass one that fails). */
export type ModuleLoader = (id: string) => unknown;

/**
 * vega and vega-lite, loaded with `load`; an Error that says how to install them when either cannot be found.
 * Other errors (a broken install) pass unchanged.
 */
export function chartLibraries(load: ModuleLoader = require): {vega: typeof vega; vl: typeof vl} {
  const get = <T>(id: string): T => {
    try {
      return load(id) as T;
    } catch (e) {
      const {code, message} = (e ?? {}) as {code?: string; message?: string};
      const missing =
        (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && String(message).includes(`'${id}'`);
      if (!missing) throw e;
      throw new Error(
        `tfjs-snn analyze draws its charts with vega and vega-lite, optional dependencies ` +
          `that are not installed (cannot load '${id}'): run npm install vega vega-lite`,
        {cause: e}
      );
    }
  };
  return {vega: get<typeof vega>('vega'), vl: get<typeof vl>('vega-lite')};
}

export async function svgOf(spec: vl.TopLevelSpec): Promise<string> {
  const {vega, vl} = chartLibraries();
  const view = new vega.View(vega.parse(vl.compile(spec).spec), {renderer: 'none'});
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const stepAxis = (steps: number) => ({
  field: 'step',
  type: 'quantitative' as const,
  title: 'time step',
  scale: {domain: [1, steps]},
  axis: {tickMinStep: 1, format: 'd'},
});

/** Mean BNTT scale per step and layer, a band of ± one standard deviation, and the gamma rule's threshold. */
export function gammaChart(profiles: GammaProfile[], threshold: number): vl.TopLevelSpec {
  const steps = profiles[0]?.mean.length ?? 1;
  const values = profiles.flatMap(p =>
    p.mean.map((mean, t) => ({
      layer: p.layer,
      step: t + 1,
      mean,
      low: mean - p.std[t],
      high: mean + p.std[t],
    }))
  );
  const color = {field: 'layer', type: 'nominal' as const, title: 'BNTT layer'};
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'BNTT scale (gamma) per time step',
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: {values},
        mark: {type: 'area', opacity: 0.15},
        encoding: {
          x: stepAxis(steps),
          y: {field: 'low', type: 'quantitative', title: 'mean gamma (± std over channels)'},
          y2: {field: 'high'},
          color: {...color, legend: null},
        },
      },
      {
        data: {values},
        mark: {type: 'line', point: true},
        encoding: {x: stepAxis(steps), y: {field: 'mean', type: 'quantitative'}, color},
      },
      {
        data: {values: [{threshold}]},
        mark: {type: 'rule', strokeDash: [4, 4], color: 'gray'},
        encoding: {y: {field: 'threshold', type: 'quantitative'}},
      },
    ],
  };
}

/** Firing rate per step of every spiking layer. */
export function ratesChart(rates: LayerSpikeRate[]): vl.TopLevelSpec {
  const steps = rates[0]?.perStep.length ?? 1;
  const values = rates.flatMap(r => r.perStep.map((rate, t) => ({layer: r.layer, step: t + 1, rate})));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Firing rate per layer and time step',
    width: WIDTH,
    height: HEIGHT,
    data: {values},
    mark: {type: 'line', point: true},
    encoding: {
      x: stepAxis(steps),
      y: {field: 'rate', type: 'quantitative', title: 'spikes per neuron per step'},
      color: {field: 'layer', type: 'nominal', title: 'layer'},
    },
  };
}

export interface ExitPoint {
  label: string;
  steps: number;
  accuracy: number;
}

/** Accuracy against the steps run, with the early-exit policies' operating points marked. */
export function accuracyChart(accuracy: number[], exits: ExitPoint[]): vl.TopLevelSpec {
  const values = accuracy.map((a, t) => ({step: t + 1, accuracy: 100 * a}));
  const points = exits.map(e => ({...e, accuracy: 100 * e.accuracy}));
  const y = {field: 'accuracy', type: 'quantitative' as const, title: 'test accuracy (%)', scale: {zero: false}};
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Accuracy when inference stops after t steps',
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: {values},
        mark: {type: 'line', point: true, color: '#4c78a8'},
        encoding: {x: stepAxis(accuracy.length), y},
      },
      {
        data: {values: points},
        mark: {type: 'point', shape: 'diamond', size: 140, filled: true},
        encoding: {
          x: {field: 'steps', type: 'quantitative'},
          y,
          color: {
            field: 'label',
            type: 'nominal',
            title: 'early exit',
            scale: {range: ['#e45756', '#54a24b']},
            legend: {orient: 'bottom', direction: 'vertical', labelLimit: 400},
          },
        },
      },
    ],
  };
}
