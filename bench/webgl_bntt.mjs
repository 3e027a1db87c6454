// Times BNTT training on webgl in headless Chromium (WebGL2 through SwiftShader): tfjs-snn's
// fused SnnBnttTrain / SnnBnttTrainGrad kernels against the layer's composite path
// (tf.moments and elementwise ops, what runs without them), both in the same page, on the
// small model's BNTT shapes (batch 32 × 4 time steps), one training step of snn.models.small,
// and that step's kernel time by kernel (tf.profile). Every ratio compares times measured in this run.
//
//   node bench/webgl_bntt.mjs [--repeats N] [--no-profile]
//
// N timed runs per variant (default 3), the best kept; --no-profile skips the tf.profile table.
import {build} from 'esbuild';
import {createServer} from 'node:http';
import {createRequire} from 'node:module';

import {chromium} from 'playwright-core';

const require = createRequire(import.meta.url);
const CHROMIUM_FLAGS = require('../scripts/chromium-flags.cjs');
const CHROMIUM = process.env.CHROME_BIN || '/usr/bin/chromium';
const repeatsAt = process.argv.indexOf('--repeats');
const REPEATS = repeatsAt > 0 ? Number(process.argv[repeatsAt + 1]) : 3;
const PROFILE = !process.argv.includes('--no-profile');
if (!(REPEATS >= 1)) throw new Error(`--repeats wants a number >= 1, got ${process.argv[repeatsAt + 1]}`);

const BATCH = 32;
const TIME_STEPS = 4;
/** The inputs of the small model's three BNTT layers. */
const LAYER_SHAPES = [[BATCH, TIME_STEPS, 28, 28, 32], [BATCH, TIME_STEPS, 14, 14, 64], [BATCH, TIME_STEPS, 256]];
/** Kernels listed in the profile table besides the largest. */
const WATCHED = ['Sum', 'Mean', 'SnnBnttTrain', 'SnnBnttTrainGrad'];

async function bundle() {
  const result = await build({
    entryPoints: ['bench/webgl_bntt_page.ts'],
    bundle: true, format: 'iife', target: 'es2019', write: false, logLevel: 'warning',
  });
  return Buffer.from(result.outputFiles[0].contents);
}

async function serve(script) {
  const server = createServer((request, response) => {
    const isScript = request.url === '/bench.js';
    response.writeHead(200, {'content-type': isScript ? 'text/javascript' : 'text/html'});
    response.end(isScript ? script : '<!doctype html><meta charset="utf-8"><script src="/bench.js"></script>');
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  return {server, url: `http://127.0.0.1:${server.address().port}/`};
}

function printTimings(info, rows) {
  console.log(`\nBNTT training on webgl (${info}); best of ${REPEATS} runs, ms\n`);
  console.log('| case | composite (tf.moments) | tfjs-snn fused | speed-up | max rel. diff |');
  console.log('|---|---:|---:|---:|---:|');
  for (const {name, ms, relativeError} of rows) {
    const diff = relativeError == null ? '' : relativeError.toExponential(1);
    const speedUp = (ms['composite'] / ms['tfjs-snn']).toFixed(1);
    console.log(`| ${name} | ${ms['composite'].toFixed(0)} | ${ms['tfjs-snn'].toFixed(0)} | ${speedUp}× | ${diff} |`);
  }
}

function printProfile(shares) {
  const variants = ['composite', 'tfjs-snn'];
  const top = new Set(WATCHED);
  for (const variant of variants) shares[variant].byKernel.slice(0, 6).forEach(([name]) => top.add(name));
  console.log(`\nOne trainOnBatch under tf.profile (each kernel's outputs read back: per-kernel wall times), ms and share of kernel time\n`);
  console.log('| kernel | composite | share | tfjs-snn fused | share |');
  console.log('|---|---:|---:|---:|---:|');
  const cell = (variant, name) => {
    const entry = shares[variant].byKernel.find(([n]) => n === name);
    const ms = entry == null ? 0 : entry[1];
    return `${ms.toFixed(0)} | ${(100 * ms / shares[variant].kernelMs).toFixed(1)}%`;
  };
  for (const name of top) console.log(`| ${name} | ${cell('composite', name)} | ${cell('tfjs-snn', name)} |`);
  const total = variant => shares[variant].kernelMs.toFixed(0);
  console.log(`| all kernels | ${total('composite')} | 100% | ${total('tfjs-snn')} | 100% |`);
  const wall = variant => shares[variant].wallMs.toFixed(0);
  console.log(`| step wall time under tf.profile | ${wall('composite')} | | ${wall('tfjs-snn')} | |`);
}

async function main() {
  const {server, url} = await serve(await bundle());
  const args = CHROMIUM_FLAGS.filter(flag => flag !== '--headless=new');
  const browser = await chromium.launch({executablePath: CHROMIUM, args, headless: true});
  try {
    const page = await browser.newPage();
    page.on('pageerror', error => console.error(`page error: ${error.message}`));
    await page.goto(url);
    page.setDefaultTimeout(0);
    const info = await page.evaluate(() => window.benchApi.init());
    const rows = [];
    for (const shape of LAYER_SHAPES) {
      rows.push(await page.evaluate(([shape, repeats]) => window.benchApi.timeLayer(shape, repeats), [shape, REPEATS]));
      console.error(`measured ${rows[rows.length - 1].name}: ${JSON.stringify(rows[rows.length - 1].ms)}`);
    }
    rows.push(await page.evaluate(([b, t, repeats]) => window.benchApi.timeTrainStep(b, t, repeats),
                                  [BATCH, TIME_STEPS, REPEATS]));
    printTimings(info, rows);
    if (PROFILE) printProfile(await page.evaluate(([b, t]) => window.benchApi.profileTrainStep(b, t), [BATCH, TIME_STEPS]));
  } finally {
    await browser.close();
    server.close();
  }
}

await main();
