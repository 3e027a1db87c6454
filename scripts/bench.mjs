// npm run bench [-- --quick] [--no-browser] [--only=cpu,cpu-huge-pages,wasm,webgl,webgpu,learnable] [--sum-loss]: bundles bench/main.ts (Node, with the
// package sources; npm packages stay external) and bench/browser_page.ts (an iife for
// the page, with tfjs and the sources) with esbuild, then runs bench/main.ts.
import {build} from 'esbuild';
import {execFileSync} from 'node:child_process';
import {createRequire} from 'node:module';
import {resolve} from 'node:path';

import {chromiumPath} from './ensure-chromium.mjs';

const outDir = 'build/bench';
const common = {bundle: true, target: 'es2020', sourcemap: 'inline', logLevel: 'warning'};

await build({
  ...common,
  entryPoints: ['bench/main.ts'],
  platform: 'node',
  format: 'cjs',
  packages: 'external',
  outfile: `${outDir}/main.cjs`,
});
await build({
  ...common,
  entryPoints: ['bench/browser_page.ts'],
  platform: 'browser',
  format: 'iife',
  outfile: `${outDir}/page.js`,
});

const args = process.argv.slice(2);
const only = args.find(arg => arg.startsWith('--only='));
const wantsBrowser = !args.includes('--no-browser') && (only == null || /webgl|webgpu/.test(only));
if (wantsBrowser && chromiumPath() == null) {
  execFileSync(process.execPath, ['scripts/ensure-chromium.mjs'], {stdio: 'inherit'});
}

const {main} = createRequire(import.meta.url)(resolve(`${outDir}/main.cjs`));
try {
  await main(args, {pageBundle: `${outDir}/page.js`, outDir: '.bench'});
} catch (e) {
  console.error(`bench: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 1;
}
