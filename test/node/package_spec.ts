// Checks what `npm run build` produced (npm test builds first): every entry point
// package.json names exists, and the Node bundles load and run the fused kernel.
import * as tf from '@tensorflow/tfjs-core';
import {execFileSync, spawnSync} from 'child_process';
import {createHash} from 'crypto';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'fs';
import {tmpdir} from 'os';
import {dirname, join, posix, resolve} from 'path';
import {pathToFileURL} from 'url';

import {version} from '../../src/version';

const root = resolve(__dirname, '../../../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// tsc turns import() into require(); keep a real dynamic import for the ES module build.
const importEsm = new Function('url', 'return import(url)') as (
  url: string
) => Promise<typeof import('../../src/index')>;

/** Every string in a (nested) exports map. */
function exportTargets(entry: unknown): string[] {
  if (typeof entry === 'string') return [entry];
  return Object.values(entry as Record<string, unknown>).flatMap(exportTargets);
}

/** The files `npm pack` would put in the tarball, relative to the package folder. */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {cwd: root, encoding: 'utf8'});
  return (JSON.parse(out)[0].files as Array<{path: string}>).map(f => f.path);
}

// sha256 of the Apache License 2.0 text as apache.org publishes it (LICENSE-2.0.txt; Debian's
// /usr/share/common-licenses/Apache-2.0 is the same file).
const APACHE_2_SHA256 = 'cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30';

describe('the built package', () => {
  it('has every file package.json points at', () => {
    const targets = [pkg.main, pkg.module, pkg.types, pkg.unpkg, pkg.jsdelivr, ...exportTargets(pkg.exports['.'])];
    for (const target of targets) {
      expect(existsSync(join(root, target)))
        .withContext(target)
        .toBe(true);
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
    const cwd = mkdtempSync(join(tmpdir(), 'tfjs-snn-guide-')); // the example saves ./my-snn
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
  it('runs examples/nir-events.mjs: a NIR file that loads back to the same predictions, no tensors left', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tfjs-snn-nir-events-'));
    try {
      const file = join(cwd, 'events.nir');
      const argv = [join(root, 'examples/nir-events.mjs'), file, '--train', '200', '--epochs', '1'];
      const out = execFileSync(process.execPath, argv, {cwd, encoding: 'utf8'});
      expect(out).toContain('epoch 1/1: training accuracy');
      expect(out).toMatch(/test accuracy on 300 recordings: 0\.\d{3}/);
      expect(out).toContain('NIR nodes Affine, AvgPool2d, Conv2d, Flatten, Input, LI, LIF, Output');
      expect(out).toContain('largest logit difference 0\n');
      expect(out).toContain('tensors still allocated: 0');
      expect(existsSync(file)).toBeTrue();
    } finally {
      rmSync(cwd, {recursive: true, force: true});
    }
  }, 120000);
});

describe('the packed tarball', () => {
  let files: string[];
  beforeAll(() => {
    files = packedFiles();
  }, 60000);

  it('ships the Apache-2.0 LICENSE its license field names, and a homepage', () => {
    expect(pkg.license).toBe('Apache-2.0');
    expect(files).toContain('LICENSE');
    const digest = createHash('sha256')
      .update(readFileSync(join(root, 'LICENSE')))
      .digest('hex');
    expect(digest).withContext('LICENSE is not the Apache License 2.0 text').toBe(APACHE_2_SHA256);
    // No public repository or issue tracker exists, so package.json names none (no placeholder URLs);
    // the homepage is the package's own README on npm, true once the package is published.
    expect(pkg.homepage).toBe(`https://www.npmjs.com/package/${pkg.name}#readme`);
    for (const field of ['repository', 'bugs']) {
      expect(JSON.stringify(pkg[field] ?? ''))
        .withContext(field)
        .not.toMatch(/example|your-|TODO|owner\/repo/i);
    }
  });

  it('has no source map that points at a file it does not ship', () => {
    const maps = files.filter(f => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const {sources} = JSON.parse(readFileSync(join(root, map), 'utf8')) as {sources: string[]};
      const missing = sources
        .map(s => posix.normalize(posix.join(posix.dirname(map), s)))
        .filter(s => !files.includes(s));
      expect(missing).withContext(map).toEqual([]);
    }
  });

  it('leaves out the experiment artefacts and the screenshot', () => {
    expect(files.filter(f => f.startsWith('docs/results/') || f.startsWith('docs/images/'))).toEqual([]);
    expect(files.filter(f => /\.(png|jpe?g|gif)$/.test(f))).toEqual([]);
    expect(files).toContain('docs/results.md'); // the docs themselves ship
  });

  it('has types that match each module format (arethetypeswrong on the tarball)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfjs-snn-attw-'));
    try {
      execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], {cwd: root, stdio: 'ignore'});
      const tarball = join(
        dir,
        readdirSync(dir).find(f => f.endsWith('.tgz'))!
      );
      const attwCli = join(dirname(require.resolve('@arethetypeswrong/cli/package.json')), 'dist/index.js');
      const attw = spawnSync(process.execPath, [attwCli, tarball, '--format', 'ascii', '--no-color', '--no-emoji'], {
        encoding: 'utf8',
      });
      expect(attw.status)
        .withContext(attw.stdout + attw.stderr)
        .toBe(0);
      expect(attw.stdout).toMatch(/No problems found/);
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  }, 120000);
});
