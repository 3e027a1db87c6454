// Times webgl's Conv2DBackpropFilter in headless Chromium (WebGL2 through SwiftShader):
// tfjs-snn's split-K kernel against the built-in it replaces, both in the same page, on the
// small model's conv shapes (batch 32 × 4 time steps = 128 images) and one training step
// of snn.models.small. Every ratio compares times measured in this run.
//
//   node bench/webgl_conv_grad.mjs [--repeats N] [--convs-only]
//
// N timed runs per variant (default 3), the best kept; --convs-only skips the training step.
import {build} from 'esbuild';
import {createServer} from 'node:http';
import {createRequire} from 'node:module';

import {chromium} from 'playwright-core';

const require = createRequire(import.meta.url);
const CHROMIUM_FLAGS = require('../scripts/chromium-flags.cjs');
const CHROMIUM = process.env.CHROME_BIN || '/usr/bin/chromium';
const repeatsAt = process.argv.indexOf('--repeats');
const REPEATS = repeatsAt > 0 ? Number(process.argv[repeatsAt + 1]) : 3;
const CONVS_ONLY = process.argv.includes('--convs-only');
if (!(REPEATS >= 1)) throw new Error(`--repeats wants a number >= 1, got ${process.argv[repeatsAt + 1]}`);

const CONV_CASES = [
  {name: 'conv1 x [128,28,28,1] → 32, 3×3 same', xShape: [128, 28, 28, 1], outChannels: 32},
  {name: 'conv2 x [128,14,14,32] → 64, 3×3 same', xShape: [128, 14, 14, 32], outChannels: 64},
];

async function bundle() {
  const result = await build({
    entryPoints: ['bench/webgl_conv_grad_page.ts'],
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

function printTable(info, rows) {
  console.log(`\nConv2DBackpropFilter on webgl (${info}); best of ${REPEATS} runs, ms\n`);
  console.log('| case | built-in | tfjs-snn | speed-up | max rel. diff |');
  console.log('|---|---:|---:|---:|---:|');
  for (const {name, ms, relativeError} of rows) {
    const diff = relativeError == null ? '' : relativeError.toExponential(1);
    const speedUp = (ms['built-in'] / ms['tfjs-snn']).toFixed(1);
    console.log(`| ${name} | ${ms['built-in'].toFixed(0)} | ${ms['tfjs-snn'].toFixed(0)} | ${speedUp}× | ${diff} |`);
  }
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
    for (const c of CONV_CASES) {
      rows.push(await page.evaluate(([c, repeats]) => window.benchApi.timeConv(c, repeats), [c, REPEATS]));
      console.error(`measured ${c.name}: ${JSON.stringify(rows[rows.length - 1])}`);
    }
    if (!CONVS_ONLY) rows.push(await page.evaluate(repeats => window.benchApi.timeTrainStep(32, 4, repeats), REPEATS));
    printTable(info, rows);
  } finally {
    await browser.close();
    server.close();
  }
}

await main();
