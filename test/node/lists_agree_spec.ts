// The lists the docs quote are the lists in the code (issue 13, item 7): each list lives in one place in src/
// (a const array, or an object typed so the compiler names every entry) and the pages that quote it must agree.
import {readdirSync, readFileSync, statSync} from 'fs';
import {join, resolve} from 'path';

import {SURROGATE_DEFAULT_ALPHA, SURROGATE_NAMES} from '../../kernels/lif_attrs';
import {ANALYZE_FLAGS, BACKENDS, DATASETS, Flags, TRAIN_FLAGS} from '../../src/cli/args';
import {EVENT_DATASETS} from '../../src/cli/datasets';
import {COMMAND_NAMES} from '../../src/cli/main';
import {DATASET_NAMES} from '../../src/data/dataset';
import {NORMALIZATION} from '../../src/data/pipeline';
import {layers} from '../../src/index';

const root = resolve(__dirname, '../../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const ticked = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map(m => m[1]);

function markdownFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap(entry => {
    const path = join(dir, entry);
    if (statSync(join(root, path)).isDirectory()) return entry === 'results' ? [] : markdownFiles(path);
    return entry.endsWith('.md') ? [path] : [];
  });
}

/** The table row of docs/cli.md that documents `flag` (the first, for flags both commands take). */
function cliRow(flag: string): string[] {
  const line = read('docs/cli.md')
    .split('\n')
    .find(l => l.startsWith(`| \`${flag}\``));
  expect(line).withContext(flag).toBeDefined();
  return (line ?? '').split(' | ');
}

describe("the CLI's lists, as docs/cli.md and README.md quote them", () => {
  it('--dataset: every dataset the package reads, the default first', () => {
    expect([...DATASETS].sort()).toEqual([...DATASET_NAMES, ...EVENT_DATASETS].sort());
    expect(Object.keys(NORMALIZATION).sort()).toEqual([...DATASET_NAMES].sort());
    const [, defaultCell, valuesCell] = cliRow('--dataset');
    expect(ticked(defaultCell)).toEqual([DATASETS[0]]);
    expect(ticked(valuesCell)).toEqual([...DATASETS]);
  });

  it('--backend: the same values for both commands, each in the row', () => {
    expect<unknown>(ANALYZE_FLAGS['--backend']).toBe(TRAIN_FLAGS['--backend']);
    const [, defaultCell, valuesCell] = cliRow('--backend');
    expect(ticked(defaultCell)).toEqual(['auto']);
    for (const backend of BACKENDS) expect(ticked(valuesCell)).withContext(backend).toContain(backend);
    // The help names each one with what it means.
    for (const backend of BACKENDS) expect(TRAIN_FLAGS['--backend'].help).toContain(`${backend} (`);
  });

  for (const [command, flags] of [
    ['train', TRAIN_FLAGS],
    ['analyze', ANALYZE_FLAGS],
  ] as Array<[string, Flags<object>]>) {
    it(`tfjs-snn ${command}: every value of every flag with a fixed set of values is in its docs row`, () => {
      const listed = Object.entries(flags).filter(([, f]) => f.allowed != null);
      expect(listed.length).toBeGreaterThanOrEqual(command === 'train' ? 6 : 2);
      for (const [flag, spec] of listed) {
        const valuesCell = cliRow(flag)[2];
        for (const value of spec.allowed!) expect(ticked(valuesCell)).withContext(`${flag} ${value}`).toContain(value);
      }
    });
  }

  it('the commands: each has its example in docs/cli.md and is named in README.md', () => {
    expect([...COMMAND_NAMES]).toEqual(['train', 'analyze', 'convert']);
    for (const command of COMMAND_NAMES) {
      expect(read('docs/cli.md'))
        .withContext(command)
        .toMatch(new RegExp(`^npx tfjs-snn ${command}\\b`, 'm'));
      expect(read('README.md')).withContext(command).toContain(`\`tfjs-snn ${command}\``);
    }
  });
});

describe('the surrogates, as the docs quote them', () => {
  const quoted = SURROGATE_NAMES.map(n => `'${n}'`);

  it("are the keys of the default-alpha table, in SURROGATE_NAMES's order", () => {
    expect(Object.keys(SURROGATE_DEFAULT_ALPHA)).toEqual([...SURROGATE_NAMES]);
  });

  it('are listed in full, in order, by docs/layers/lif.md, docs/lif.md and docs/neurons.md', () => {
    const row = read('docs/layers/lif.md')
      .split('\n')
      .find(l => l.startsWith('| `surrogate` |'))!;
    expect(ticked(row.split(' | ')[2]).filter(t => t.startsWith("'"))).toEqual(quoted);
    const defaults = `{${SURROGATE_NAMES.map(n => `${n}: ${SURROGATE_DEFAULT_ALPHA[n]}`).join(', ')}}`;
    expect(read('docs/lif.md')).toContain(`(\`${defaults}\`)`);
    expect(read('docs/neurons.md')).toContain(
      `\`surrogate\` (${quoted.map(q => `\`${q}\``).join(', ')}, or a function)`
    );
  });
});

describe('the layer roles, as docs/layers/roles.md lists them', () => {
  it('are the rows of its table, in LAYER_ROLES order', () => {
    const rows = read('docs/layers/roles.md')
      .split('\n')
      .filter(l => /^\| `'\w+'` \|/.test(l))
      .map(l => /^\| `'(\w+)'`/.exec(l)![1]);
    expect(rows).toEqual([...layers.LAYER_ROLES]);
  });
});

describe("the layers' option names, as the docs quote them in 'unknown argument' errors", () => {
  // Every such message on any page is thrown word for word by the factory it names, given the misspelt argument.
  const quoted = markdownFiles('docs').flatMap(path =>
    [...read(path).matchAll(/^(\w+): unknown argument '([^']+)'; expected one of [^\n`]*\)$/gm)].map(m => ({
      path,
      message: m[0],
      factory: m[1],
      key: m[2],
    }))
  );
  const factories = layers as unknown as Record<string, ((args: object) => unknown) | undefined>;

  it('are found (at least one per layer page that has weights or options)', () => {
    expect(quoted.map(q => q.factory)).toEqual(
      jasmine.arrayContaining(['bntt', 'spikingDense', 'spikingConv2d', 'directEncoder', 'poissonEncoder', 'lif'])
    );
  });

  for (const {path, message, factory, key} of quoted) {
    it(`${factory} throws what ${path} quotes`, () => {
      expect(typeof factories[factory])
        .withContext(factory)
        .toBe('function');
      expect(() => factories[factory]!({[key]: 1})).toThrowError(message);
    });
  }
});
