// Builds the browser playground into build/playground/: a static folder any web server can serve.
// The page loads the published bundles (tfjs's tf.min.js and tf-backend-webgpu.min.js, dist/tfjs-snn.min.js) and vega for its
// charts from vendor/, its own code (examples/playground/src, TypeScript) from app/, the embedded
// Fashion-MNIST subset from data/ and the pretrained model from models/. Run after the package build.
import {execSync} from 'node:child_process';
import {cpSync, existsSync, mkdirSync, readdirSync, rmSync} from 'node:fs';
import {join} from 'node:path';

const OUT = 'build/playground';
const VENDOR = {
  'tf.min.js': 'node_modules/@tensorflow/tfjs/dist/tf.min.js',
  'tf-backend-webgpu.min.js': 'node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js',
  'tfjs-snn.min.js': 'dist/tfjs-snn.min.js',
  'vega.min.js': 'node_modules/vega/build/vega.min.js',
  'vega-lite.min.js': 'node_modules/vega-lite/build/vega-lite.min.js',
};

rmSync(OUT, {recursive: true, force: true});
execSync('npx tsc -p examples/playground/tsconfig.json', {stdio: 'inherit'});
for (const page of ['index.html', 'style.css']) cpSync(join('examples/playground', page), join(OUT, page));
mkdirSync(join(OUT, 'vendor'), {recursive: true});
for (const [name, from] of Object.entries(VENDOR)) {
  if (!existsSync(from)) throw new Error(`build-playground: ${from} is missing (run npm ci, then npm run build)`);
  cpSync(from, join(OUT, 'vendor', name));
}
// h5wasm's ES module (and the files it imports), which the page's import map names: snn.io.nir reads .nir with it.
const H5WASM = 'node_modules/h5wasm/dist/esm';
for (const file of ['hdf5_hl.js', 'hdf5_util.js']) {
  if (!existsSync(join(H5WASM, file))) throw new Error(`build-playground: ${H5WASM}/${file} is missing (run npm ci)`);
  cpSync(join(H5WASM, file), join(OUT, 'vendor', 'h5wasm', file));
}
const subset = 'data/fashion-mnist-subset';
for (const file of readdirSync(subset).filter(f => f.endsWith('.gz'))) {
  cpSync(join(subset, file), join(OUT, subset, file));
}
cpSync('examples/playground/models', join(OUT, 'models'), {recursive: true});
console.log(`built the playground into ${OUT}/ (npm run playground serves it)`);
