// Checks what `npm run build` produced (npm test builds first): every entry point
// package.json names exists, and the Node bundles load and run the fused kernel.
import * as tf from '@tensorflow/tfjs-core';
import {execFileSync} from 'child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'fs';
import {tmpdir} from 'os';
import {join, resolve} from 'path';
import {pathToFileURL} from 'url';

import {version} from '../../src/version';

const root = resolve(__dirname, '../../../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// tsc turns import() into require(); keep a real dynamic import for the ES module build.
const importEsm = new Function('url', 'return import(url)') as
    (url: string) => Promise<typeof import('../../src/index')>;

describe('the built package', () => {
  it('has every file package.json points at', () => {
    const targets = [pkg.main, pkg.module, pkg.types, pkg.unpkg, pkg.jsdelivr,
                     ...Object.values(pkg.exports['.'] as Record<string, string>)];
    for (const target of targets) {
      expect(existsSync(join(root, target))).withContext(target).toBe(true);
    }
    expect(existsSync(join(root, 'dist/tfjs-snn.umd.js'))).toBe(true);
    expect(pkg.sideEffects).toBeUndefined();
  });

  it('reports the package.json version', () => {
    expect(version).toBe(pkg.version);
  });

  it('runs the fused kernel through the CommonJS build', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the built CommonJS bundle
    const snn = require(join(root, pkg.main));
    expect(snn.version).toBe(pkg.version);
    const x = tf.fill([1, 3, 2], 0.6);
    const spikes = snn.ops.lif(x, {leak: 1, implementation: 'kernel'});
    expect(Array.from(spikes.dataSync())).toEqual([0, 0, 1, 1, 0, 0]);
    tf.dispose([x, spikes]);
  });

  it('runs through the ES module build', async () => {
    const snn = await importEsm(pathToFileURL(join(root, pkg.module)).href);
    const x = tf.fill([1, 3, 2], 0.6);
    const spikes = snn.ops.lif(x, {leak: 1});
    expect(Array.from(spikes.dataSync())).toEqual([0, 0, 1, 1, 0, 0]);
    tf.dispose([x, spikes]);
  });

  it('maps @tensorflow/* to the global tf in the UMD bundles', () => {
    for (const file of ['dist/tfjs-snn.umd.js', 'dist/tfjs-snn.min.js']) {
      const code = readFileSync(join(root, file), 'utf8');
      expect(code).toMatch(/global\.tf|\.tf\b/);
      expect(code).not.toMatch(/from\s*['"]@tensorflow/);
    }
  });

  it('runs examples/lif-basics.mjs as documented, importing the package by name', () => {
    const out = execFileSync(process.execPath, [join(root, 'examples/lif-basics.mjs')], {cwd: root, encoding: 'utf8'});
    expect(out).toContain('chunked spikes equal the one-call spikes: true');
    expect(out).toContain('tensors still allocated: 0');
  });

  it('runs examples/bntt-guide.mjs (the program of docs/guide.md): it learns, saves, reloads, leaks nothing', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tfjs-snn-guide-'));  // the example saves ./my-snn
    try {
      const out = execFileSync(process.execPath, [join(root, 'examples/bntt-guide.mjs')], {cwd, encoding: 'utf8'});
      const accuracy = Number(/final training accuracy: ([0-9.]+)/.exec(out)?.[1]);
      expect(accuracy).toBeGreaterThan(0.9);
      expect(out).toMatch(/spike rates: lif1 0\.\d+, lif2 0\.\d+/);
      expect(out).toContain('reloaded predictions identical: true');
      expect(out).toContain('tensors still allocated after cleanup: 0');
      expect(existsSync(join(cwd, 'my-snn', 'model.json'))).toBeTrue();
    } finally {
      rmSync(cwd, {recursive: true, force: true});
    }
  });
});
