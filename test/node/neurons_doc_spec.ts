// docs/neurons.md agrees with the code (issue 13, items 1 and 2): its user-defined neuron runs as written and
// trains with model.fit; its table names each neuron layer's factory, op, class, state and page as they are.
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {existsSync, readFileSync} from 'fs';
import {join, resolve} from 'path';

import * as snn from '../../src/index';

const root = resolve(__dirname, '../../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** The fenced js block after `heading` in docs/neurons.md. */
function blockAfter(heading: string): string {
  const page = read('docs/neurons.md');
  const start = page.indexOf(`\n${heading}\n`);
  expect(start).withContext(heading).toBeGreaterThan(0);
  return /```js\n([\s\S]*?)```/.exec(page.slice(start))![1];
}

interface Row {
  neuron: string;
  factory: string;
  op: string | null;
  className: string;
  state: string[];
  page: string;
}

/** The rows of the table of neurons. */
function tableRows(): Row[] {
  const lines = read('docs/neurons.md')
    .split('\n')
    .filter(l => l.startsWith('| ') && !l.startsWith('| neuron |'));
  const code = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map(m => m[1]);
  return lines.map(line => {
    const cells = line.split(' | ').map(c => c.replace(/^\| |\s*\|$/g, ''));
    return {
      neuron: cells[0],
      factory: code(cells[1])[0],
      op: cells[2] === '—' ? null : code(cells[2])[0],
      className: code(cells[3])[0],
      state: code(cells[4]),
      page: /\]\(([^)]+)\)/.exec(cells[7])![1],
    };
  });
}

type Factory = (args?: object) => unknown;
const layerFactories = snn.layers as unknown as Record<string, unknown>;

describe('docs/neurons.md', () => {
  it('runs its neuron of your own as written: it trains with model.fit (the loss falls) and learns its leak', async () => {
    const code = blockAfter('## A neuron of your own');
    const imports = "import * as tf from '@tensorflow/tfjs';\nimport * as snn from 'tfjs-snn';\n";
    expect(code.startsWith(imports)).toBeTrue();
    // About thirty lines of neuron, from the class to its registration.
    const lines = code.split('\n');
    const neuronLines =
      lines.findIndex(l => l.startsWith('tf.serialization')) - lines.findIndex(l => l.startsWith('class ')) + 1;
    expect(neuronLines).toBeLessThanOrEqual(30);
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
    const logged: string[] = [];
    spyOn(console, 'log').and.callFake((...args: unknown[]) => logged.push(args.join(' ')));
    const tf = {...tfc, ...tfl};
    const before = tfc.memory().numTensors;
    await new AsyncFunction('tf', 'snn', code.slice(imports.length))(tf, snn);
    expect(tfc.memory().numTensors).toBeGreaterThan(before); // the example keeps its model and data
    const [, first, last] = /^loss (\d+\.\d+) → (\d+\.\d+)$/.exec(logged[0]) ?? [];
    expect(Number(last))
      .withContext(logged.join('\n'))
      .toBeLessThan(0.8 * Number(first));
    const leakLogit = Number(logged[1]);
    expect(Number.isFinite(leakLogit) && leakLogit !== 2)
      .withContext(logged[1])
      .toBeTrue(); // moved from its start
  }, 120000);

  it('names the factory, op, class, state and page of every neuron layer in this build', () => {
    const rows = tableRows();
    expect(rows.length).toBeGreaterThanOrEqual(8);
    // Every factory of snn.layers that makes a neuron layer has a row.
    const neuronFactories = Object.entries(layerFactories)
      .filter(([name, f]) => typeof f === 'function' && /^[a-z]/.test(name))
      .filter(([, f]) => {
        try {
          return snn.layers.isNeuron((f as Factory)());
        } catch {
          return false; // a factory that needs arguments (earlyExitWrapper) makes no neuron
        }
      })
      .map(([name]) => name);
    expect(neuronFactories).toContain('lif');
    expect(neuronFactories.filter(f => !rows.some(r => r.factory === f))).toEqual([]);
    // Every row whose layer this build has: the class it saves as, its state and its op as the code has them.
    const here = rows.filter(r => typeof layerFactories[r.factory] === 'function');
    expect(here.map(r => r.factory)).toContain('lif');
    for (const row of here) {
      const layer = (layerFactories[row.factory] as Factory)() as tfl.layers.Layer & {stateNames: string[]};
      expect(layer.getClassName()).withContext(row.neuron).toBe(row.className);
      expect([...layer.stateNames])
        .withContext(row.neuron)
        .toEqual(row.state);
      if (row.op != null)
        expect(typeof (snn.ops as Record<string, unknown>)[row.op])
          .withContext(row.op)
          .toBe('function');
      expect(existsSync(join(root, 'docs', row.page.split('#')[0])))
        .withContext(row.page)
        .toBeTrue();
    }
    // Every row names a layer this build has.
    expect(rows.filter(r => !here.includes(r)).map(r => r.factory)).toEqual([]);
  });

  it('is linked from README.md, docs/guide.md and docs/layers/README.md', () => {
    expect(read('README.md')).toContain('(docs/neurons.md)');
    expect(read('docs/guide.md')).toContain('(neurons.md)');
    expect(read('docs/layers/README.md')).toContain('(../neurons.md)');
  });
});
