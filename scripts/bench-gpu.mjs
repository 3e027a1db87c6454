// npm run bench:gpu [-- --quick] [--allow-cpu-adapter]: tfjs-snn on a real GPU through WebGPU in Node.js.
//
// 1. Probes the machine: the NVIDIA driver (nvidia-smi), the Vulkan loader (libvulkan.so.1) and its ICD files.
// 2. Loads Dawn's WebGPU for Node.js, the npm package `webgpu` (no dependency of tfjs-snn: 132 MB with its five
//    platforms' binaries; `npm install --no-save webgpu@0.6.2`), and asks it for an adapter, Vulkan first.
// 3. With a GPU adapter (a CPU one such as SwiftShader or llvmpipe only with --allow-cpu-adapter), runs in child
//    processes preloaded with scripts/dawn-preload.mjs: the LIF bench on tfjs-backend-webgpu (bench/gpu_lif.ts:
//    fused vs composite vs the per-step loop at T 8/25/64, 2^20 neurons) and a training and prediction step of
//    snn.models.small and vgg9 (bench/train_step.ts, the cases of npm run bench:train).
// Prints markdown and writes .bench/gpu.md and .bench/gpu.json. Where it cannot run, it says exactly why and
// exits 0: nothing in tfjs-snn depends on it. A bench that started and failed exits 1.
import {build} from 'esbuild';
import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {cpus} from 'node:os';
import {join} from 'node:path';

import {runLines} from './json_lines.mjs';

const OUT_DIR = '.bench';
const BUNDLE_DIR = 'build/bench-gpu';
const PRELOAD = './scripts/dawn-preload.mjs';
const DAWN_PACKAGE = 'webgpu@0.6.2';
const USAGE = 'npm run bench:gpu [-- --quick] [--allow-cpu-adapter]';
/** Adapters that are CPU emulations, by a word of their name. */
const CPU_ADAPTERS = /swiftshader|llvmpipe|lavapipe|warp|software/i;
/** Where Vulkan ICD manifests live (the last: NVIDIA's container toolkit). */
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d'];
const CHILD_TIMEOUT_S = 900;

const log = message => process.stderr.write(`${message}\n`);

function parseArgs(args) {
  const known = ['--quick', '--allow-cpu-adapter'];
  const unknown = args.filter(a => !known.includes(a));
  if (unknown.length > 0) throw new Error(`unknown option(s) ${unknown.join(' ')}; usage: ${USAGE}`);
  return {quick: args.includes('--quick'), allowCpuAdapter: args.includes('--allow-cpu-adapter')};
}

/** Output of a command, or null when it is missing or fails. */
function commandOutput(command, args) {
  try {
    return execFileSync(command, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
  } catch {
    return null;
  }
}

/** What the machine offers a WebGPU implementation: the GPUs, the Vulkan loader and the Vulkan drivers. */
function probeMachine() {
  const gpus = commandOutput('nvidia-smi', ['-L']);
  const loader = (commandOutput('ldconfig', ['-p']) ?? '').split('\n').find(l => l.includes('libvulkan.so.1'));
  const icds = ICD_DIRS.filter(existsSync).flatMap(dir => readdirSync(dir).map(f => join(dir, f)));
  return {
    cpu: `${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores`,
    node: process.version,
    gpus: gpus == null ? 'none found (no nvidia-smi, or it failed)' : gpus.split('\n').join('; '),
    vulkanLoader: loader == null ? 'none (libvulkan.so.1 is not in the ldconfig cache)' : loader.trim(),
    vulkanDrivers: icds.length === 0 ? `none (no ICD manifest in ${ICD_DIRS.join(', ')})` : icds.join(', '),
  };
}

/** Dawn's module, or why it cannot be loaded. */
async function loadDawn() {
  const require = createRequire(import.meta.url);
  try {
    require.resolve('webgpu/package.json');
  } catch {
    return {
      reason:
        `Dawn's WebGPU for Node.js (the npm package \`webgpu\`) is not installed: it is no dependency of ` +
        `tfjs-snn (132 MB); install it with \`npm install --no-save ${DAWN_PACKAGE}\` and run again`,
    };
  }
  try {
    return {dawn: await import('webgpu')};
  } catch (e) {
    return {reason: `the npm package \`webgpu\` is installed but does not load here: ${firstLine(e)}`};
  }
}

const firstLine = e => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** The first adapter Dawn gives with `flags` (Vulkan first), as {flags, name, cpu}, or null. */
async function findAdapter(dawn) {
  for (const flags of [['backend=vulkan'], []]) {
    const adapter = await dawn.create(flags).requestAdapter({powerPreference: 'high-performance'});
    if (adapter == null) continue;
    const {vendor, architecture, device, description} = adapter.info ?? {};
    const name = [vendor, architecture, device, description].filter(s => s != null && s !== '').join(' ') || 'unnamed';
    return {flags, name, cpu: CPU_ADAPTERS.test(name)};
  }
  return null;
}

async function bundle() {
  const common = {bundle: true, platform: 'node', format: 'cjs', packages: 'external', logLevel: 'warning'};
  await build({...common, entryPoints: ['bench/gpu_lif.ts'], outfile: `${BUNDLE_DIR}/gpu_lif.cjs`});
  await build({...common, entryPoints: ['bench/train_step.ts'], outfile: `${BUNDLE_DIR}/train_step.cjs`});
}

/** Runs one bundle under the Dawn preload; returns its JSON lines and how it ended. */
async function runChild(script, argument, adapter) {
  const lines = [];
  const env = {...process.env, TFJS_SNN_DAWN_FLAGS: JSON.stringify(adapter.flags)};
  const args = ['--expose-gc', '--import', PRELOAD, join(BUNDLE_DIR, script), JSON.stringify(argument)];
  const end = await runLines(process.execPath, args, CHILD_TIMEOUT_S, line => lines.push(line), env);
  const failed = end.code !== 0 || end.timedOut;
  const how = end.timedOut ? `timed out after ${CHILD_TIMEOUT_S} s` : `exited with ${end.code ?? end.signal}`;
  return {lines, failure: failed ? `${script} ${how}` : null};
}

/** The training cases of npm run bench:train that have a PyTorch twin (small, vgg9), on webgpu. */
function trainSpecs(quick) {
  const config = JSON.parse(readFileSync('bench/train/cases.json', 'utf8'));
  return ['small', 'vgg9'].map(name => {
    const c = config.cases[name];
    const steps = {...config.steps[quick ? 'quick' : 'full'], ...c.steps?.[quick ? 'quick' : 'full']};
    return {
      name,
      backend: 'webgpu',
      case: c,
      optimizer: config.optimizer,
      profile: false,
      trainSteps: steps.train,
      predictSteps: steps.predict,
      budgetMs: 60000,
      warmup: true,
    };
  });
}

function trainTable(lines) {
  const rows = lines.filter(l => l.type === 'timing');
  if (rows.length === 0) return 'No training timings (see the failures above).';
  return [
    '| network | step | batch | T | ms per step (median) | images/s |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      r =>
        `| ${r.name} | ${r.mode} | ${r.batch} | ${r.timeSteps} | ${r.msPerStep.toFixed(1)} | ` +
        `${r.imagesPerSecond.toFixed(1)} |`
    ),
  ].join('\n');
}

async function main(args) {
  const options = parseArgs(args);
  const started = Date.now();
  const machine = probeMachine();
  const report = {date: new Date().toISOString(), options, machine, ran: false};
  const header = [
    '## tfjs-snn on a GPU through WebGPU in Node.js (npm run bench:gpu)',
    '',
    `- CPU: ${machine.cpu}; Node ${machine.node}`,
    `- GPUs: ${machine.gpus}`,
    `- Vulkan loader: ${machine.vulkanLoader}`,
    `- Vulkan drivers: ${machine.vulkanDrivers}`,
  ];
  const finish = (body, exitCode = 0) => {
    const markdown = [...header, ...body].join('\n');
    process.stdout.write(`\n${markdown}\n`);
    mkdirSync(OUT_DIR, {recursive: true});
    writeFileSync(join(OUT_DIR, 'gpu.md'), `${markdown}\n`);
    writeFileSync(
      join(OUT_DIR, 'gpu.json'),
      `${JSON.stringify({...report, seconds: (Date.now() - started) / 1000}, null, 2)}\n`
    );
    log(`wrote ${OUT_DIR}/gpu.md and ${OUT_DIR}/gpu.json`);
    process.exitCode = exitCode;
  };
  const cannot = reason => {
    report.reason = reason;
    finish([`- **Not run**: ${reason}.`]);
  };

  const {dawn, reason} = await loadDawn();
  if (dawn == null) return cannot(reason);
  const adapter = await findAdapter(dawn);
  if (adapter == null) {
    return cannot(
      `Dawn found no WebGPU adapter (asked for Vulkan, then any backend; Dawn's own messages, above on stderr, say ` +
        `why: a missing Vulkan loader or driver, or a driver that lacks what Dawn requires)`
    );
  }
  report.adapter = adapter;
  header.push(`- WebGPU adapter: ${adapter.name} (Dawn toggles ${JSON.stringify(adapter.flags)})`);
  if (adapter.cpu && !options.allowCpuAdapter) {
    return cannot(
      `the only adapter Dawn found is a CPU emulation (${adapter.name}), not a GPU; --allow-cpu-adapter runs on it anyway`
    );
  }

  await bundle();
  report.ran = true;
  const failures = [];
  log('== LIF on webgpu');
  const lif = await runChild('gpu_lif.cjs', {quick: options.quick, adapter: adapter.name}, adapter);
  const lifResult = lif.lines.find(l => l.markdown != null);
  if (lif.failure != null) failures.push(lif.failure);
  report.lif = lifResult?.rows ?? [];
  const train = [];
  for (const spec of trainSpecs(options.quick)) {
    log(`== training step on webgpu: ${spec.name}`);
    const run = await runChild('train_step.cjs', spec, adapter);
    train.push(...run.lines);
    if (run.failure != null) failures.push(`${spec.name}: ${run.failure}`);
  }
  report.train = train;
  report.failures = failures;
  finish(
    [
      ...(failures.length > 0 ? ['', `Failures: ${failures.join('; ')} (their output is above, on stderr).`] : []),
      '',
      lifResult?.markdown ?? 'No LIF rows (see the failures).',
      '',
      '### A training step on webgpu (the cases of npm run bench:train, SGD with momentum, random data)',
      '',
      trainTable(train),
    ],
    failures.length > 0 ? 1 : 0
  );
}

main(process.argv.slice(2)).catch(e => {
  log(`bench:gpu failed: ${e instanceof Error ? e.stack : e}`);
  process.exitCode = 1;
});
