// Node side shared by the browser benches (webgl_bntt.mjs, conv_grad.mjs, profile_step.mjs, ...): bundles a page
// script with esbuild, serves it, opens it in headless Chromium (WebGL2 and WebGPU through SwiftShader)
// and prints a two-variant comparison table.
import {build} from 'esbuild';
import {createServer} from 'node:http';
import {createRequire} from 'node:module';

import {chromium} from 'playwright-core';

const require = createRequire(import.meta.url);
const CHROMIUM_FLAGS = require('../scripts/chromium-flags.cjs');
const CHROMIUM = process.env.CHROME_BIN || '/usr/bin/chromium';

/** N of `--repeats N` (default 3): timed runs per variant, the best kept. */
export function repeatsOption() {
  const at = process.argv.indexOf('--repeats');
  const repeats = at > 0 ? Number(process.argv[at + 1]) : 3;
  if (!(repeats >= 1)) throw new Error(`--repeats wants a number >= 1, got ${process.argv[at + 1]}`);
  return repeats;
}

async function bundle(entry) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    target: 'es2019',
    write: false,
    logLevel: 'warning',
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

/** `--backend NAME` (default webgl): the backend a bench page starts, one of `allowed`. */
export function backendOption(allowed = ['webgl', 'webgpu']) {
  const at = process.argv.indexOf('--backend');
  const backend = at > 0 ? process.argv[at + 1] : 'webgl';
  if (!allowed.includes(backend)) throw new Error(`--backend wants one of ${allowed.join(', ')}, got ${backend}`);
  return backend;
}

/**
 * Chromium flags besides scripts/chromium-flags.cjs: WebGPU's timestamp queries at full resolution (Chromium
 * rounds them to 100 µs without WebGPU developer features), so that tf.profile times short kernels.
 */
const BENCH_FLAGS = ['--enable-webgpu-developer-features'];

/**
 * Opens the page script `entry` (which sets window.benchApi) in Chromium, runs its
 * benchApi.init(...initArgs) and then `measure(page, backendInfo)`, and closes everything.
 */
export async function runBenchPage(entry, measure, initArgs = []) {
  const {server, url} = await serve(await bundle(entry));
  const args = [...CHROMIUM_FLAGS.filter(flag => flag !== '--headless=new'), ...BENCH_FLAGS];
  const browser = await chromium.launch({executablePath: CHROMIUM, args, headless: true});
  try {
    const page = await browser.newPage();
    page.on('pageerror', error => console.error(`page error: ${error.message}`));
    await page.goto(url);
    page.setDefaultTimeout(0);
    const backendInfo = await page.evaluate(args => window.benchApi.init(...args), initArgs);
    return await measure(page, backendInfo);
  } finally {
    await browser.close();
    server.close();
  }
}

/**
 * Prints `title` and a table of rows {name, ms, relativeError}, ms keyed by variant: a time
 * column per {variant, label} of baseline and ours, and the speed-up baseline / ours.
 */
export function printComparison(title, [baseline, ours], rows) {
  console.log(`\n${title}\n`);
  console.log(`| case | ${baseline.label} | ${ours.label} | speed-up | max rel. diff |`);
  console.log('|---|---:|---:|---:|---:|');
  for (const {name, ms, relativeError} of rows) {
    const diff = relativeError == null ? '' : relativeError.toExponential(1);
    const speedUp = (ms[baseline.variant] / ms[ours.variant]).toFixed(1);
    console.log(
      `| ${name} | ${ms[baseline.variant].toFixed(0)} | ${ms[ours.variant].toFixed(0)} | ${speedUp}× | ${diff} |`
    );
  }
}
