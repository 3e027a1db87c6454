// The docs quote the code: the backends with a fused LIF kernel, the callbacks' errors (issue 12, item 15).
import * as tf from '@tensorflow/tfjs-core';
import {execFileSync} from 'child_process';
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'fs';
import {join, resolve} from 'path';

import {LIF, LIF_GRAD} from '../../kernels/lif_attrs';
import {callbacks, ops} from '../../src/index';

const root = resolve(__dirname, '../../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
/** The text with line breaks and runs of spaces as one space (prose wraps anywhere). */
const flat = (path: string) => read(path).replace(/\s+/g, ' ');

describe("the docs' list of backends with a fused LIF kernel", () => {
  const fused = ops.FUSED_LIF_BACKENDS;

  it('is the backends that have the fused forward and backward kernels registered', () => {
    const candidates = ['cpu', 'webgl', 'wasm', 'webgpu', 'tensorflow'];
    const registered = (kernel: string) =>
      candidates.filter(b => tf.getKernelsForBackend(b).some(k => k.kernelName === kernel));
    expect<string[]>([...fused]).toEqual(registered(LIF));
    expect<string[]>([...fused]).toEqual(registered(LIF_GRAD));
  });

  it("is what README, docs/lif.md, the implementation option's doc comment and the error quote", () => {
    const ticked = fused.map(b => `\`${b}\``);
    const prose = `${ticked.slice(0, -1).join(', ')} and ${ticked[ticked.length - 1]}`; // `cpu`, `webgl` and `wasm`
    expect(flat('README.md')).toContain(`as fused registered kernels on ${prose}`);
    expect(flat('docs/lif.md')).toContain(`On the ${prose} backends forward and backward are each one fused kernel`);
    for (const backend of fused) {
      expect(read('docs/lif.md'))
        .withContext(backend)
        .toMatch(new RegExp(`^\\| \`${backend}\` \\| fused`, 'm'));
    }
    expect(read('src/ops/lif_options.ts')).toContain(`fused kernel where the backend has one (${fused.join(', ')}:`);
    expect(read('docs/layers/lif.md')).toContain(`no fused LIF kernel (fused: ${fused.join(', ')})`);
  });
});

describe("docs/callbacks.md's quoted errors", () => {
  // Every message the page quotes for a bad argument; the call that should throw it is read from the message
  // itself: `unknown argument 'k'` passes {k: 1}, `argument 'k' ...; got v` passes {k: v}.
  const quoted = [
    ...read('docs/callbacks.md').matchAll(
      /(stepDecay|cosineDecay|spikeRateMonitor): (?:unknown argument|argument) '[^']+'[^`\n]*/g
    ),
  ].map(m => m[0]);
  const make: Record<string, (args: object) => unknown> = {
    stepDecay: args => callbacks.stepDecay({epochs: 10, ...args} as never),
    cosineDecay: args => callbacks.cosineDecay({epochs: 10, ...args} as never),
    spikeRateMonitor: args => callbacks.spikeRateMonitor(args as never),
  };

  it('are found (the page quotes at least five)', () => {
    expect(quoted.length).toBeGreaterThanOrEqual(5);
  });

  for (const message of quoted) {
    it(`are thrown word for word: ${message}`, () => {
      const [, fn, key] = /^(\w+): (?:unknown )?argument '([^']+)'/.exec(message)!;
      const got = /; got (.+)$/.exec(message)?.[1];
      const value = got == null ? 1 : JSON.parse(got.replace(/^'(.*)'$/, '"$1"'));
      expect(() => make[fn]({[key]: value})).toThrowError(message);
    });
  }
});

describe("docs/data.md's example", () => {
  it('runs as written against the built package (with a stand-in model), on the subset that ships', () => {
    const example = /```js\n([\s\S]*?)```/.exec(read('docs/data.md'))![1];
    // The page leaves `model` and `tf` to the reader; everything else runs as written.
    const program = `import * as tf from '@tensorflow/tfjs';
let batches = 0, images = 0;
const model = {trainOnBatch: async (x, y) => { batches++; images += x.shape[0]; }};
${example}
console.log(JSON.stringify({batches, images, tensors: tf.memory().numTensors}));
`;
    const dir = join(root, 'build', 'docs-examples'); // inside the package, so 'tfjs-snn' resolves to it
    mkdirSync(dir, {recursive: true});
    const file = join(dir, 'data-md.mjs');
    writeFileSync(file, program);
    try {
      const out = execFileSync(process.execPath, [file], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({batches: 32, images: 2000, tensors: 0});
    } finally {
      rmSync(file, {force: true});
    }
  }, 60000);
});
