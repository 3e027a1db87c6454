/** The learnt neuron parameters as table rows, for report.md (tfjs-snn train) and analysis.html (tfjs-snn analyze). */
import type {LayerNeuronParameters} from '../analysis/neuron_parameters';

export const NEURON_PARAMETER_HEADER = [
  'layer',
  'parameter',
  'shape',
  'values',
  'mean',
  'std',
  'min',
  'max',
  'histogram',
];

/** One row per learnt weight of each neuron layer; one 'none learnt' row for a layer whose parameters are fixed. */
export function neuronParameterRows(layers: LayerNeuronParameters[]): string[][] {
  return layers.flatMap(({layer, parameters}) =>
    parameters.length === 0
      ? [[layer, 'none learnt', '', '', '', '', '', '', '']]
      : parameters.map(p => [
          layer,
          p.name,
          p.shape.length === 0 ? 'shared' : `[${p.shape.join(', ')}]`,
          String(p.count),
          p.mean.toFixed(4),
          p.std.toFixed(4),
          p.min.toFixed(4),
          p.max.toFixed(4),
          p.count > 1 ? p.histogram.counts.join(' ') : '',
        ])
  );
}
