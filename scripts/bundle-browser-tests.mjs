// Bundles test/browser/*_spec.ts (with tfjs and the package sources) into one
// script that karma serves to Chromium.
import {build} from 'esbuild';
import {readdirSync} from 'node:fs';

const specs = readdirSync('test/browser')
  .filter(f => f.endsWith('_spec.ts'))
  .map(f => `./test/browser/${f}`);
await build({
  stdin: {contents: specs.map(s => `import '${s}';`).join('\n'), resolveDir: '.', loader: 'ts'},
  bundle: true,
  format: 'iife',
  target: 'es2019',
  outfile: 'build/browser/tests.js',
  sourcemap: 'inline',
  logLevel: 'warning',
});
console.log(`bundled ${specs.length} browser spec files into build/browser/tests.js`);
