// npm run test:install — a new user's first minutes, on the packed tarball: in an empty project it runs README.md's
// install command (tfjs-snn replaced by the tarball; the rest comes from the npm registry), then checks that
//   - the library install pulled neither vega nor vega-lite, and `tfjs-snn analyze` says how to get them;
//   - `npx tfjs-snn --version` prints the package version;
//   - `npx tfjs-snn train` works with no other install (small settings: 128 images, 1 epoch, T 2), on wasm;
//   - README.md's Example runs against the installed package (numbers made smaller: scripts/readme-example.cjs).
// Needs the npm registry. Prints the time of each step. Exit status 0 when every check passes.
import {execSync, spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = createRequire(import.meta.url)('./readme-example.cjs');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const started = Date.now();
const failures = [];
const seconds = since => ((Date.now() - since) / 1000).toFixed(1);

function check(what, ok, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${ok || !detail ? '' : `\n${detail}`}`);
  if (!ok) failures.push(what);
}

function run(command, cwd) {
  const t = Date.now();
  const result = spawnSync(command, {cwd, shell: true, encoding: 'utf8', timeout: 600_000});
  const out = `${result.stdout}${result.stderr}`;
  console.log(`  $ ${command}  (${seconds(t)} s, exit ${result.status})`);
  return {status: result.status, out};
}

if (!existsSync(join(root, pkg.main))) throw new Error('test-install: build first (npm run build)');
const project = mkdtempSync(join(tmpdir(), 'tfjs-snn-install-'));
try {
  execSync(`npm pack --ignore-scripts --pack-destination ${JSON.stringify(project)}`, {cwd: root, stdio: 'ignore'});
  const tarball = join(
    project,
    readdirSync(project).find(f => f.endsWith('.tgz'))
  );
  writeFileSync(join(project, 'package.json'), JSON.stringify({name: 'new-user', version: '1.0.0', private: true}));

  const install = readme.installCommand().replace(/(^| )tfjs-snn(?= |$)/, `$1${tarball}`);
  check(
    'the README install command names @tensorflow/tfjs-backend-wasm',
    install.includes('@tensorflow/tfjs-backend-wasm')
  );
  const installed = run(`${install} --no-audit --no-fund`, project);
  check('the README install command succeeds', installed.status === 0, installed.out);

  const modules = join(project, 'node_modules');
  check(
    'vega and vega-lite are not installed',
    !existsSync(join(modules, 'vega')) && !existsSync(join(modules, 'vega-lite'))
  );

  const version = run('npx --no-install tfjs-snn --version', project);
  check(
    `npx tfjs-snn --version prints ${pkg.version}`,
    version.status === 0 && version.out.split('\n').includes(pkg.version),
    version.out
  );

  const train = run(
    'npx --no-install tfjs-snn train --epochs 1 --limit-train 128 --limit-test 64 --batch-size 32 ' +
      '--time-steps 2 --out run',
    project
  );
  check('npx tfjs-snn train works after the README install', train.status === 0, train.out);
  check(
    'tfjs-snn train ran on wasm and wrote the model',
    /wasm/.test(train.out) && existsSync(join(project, 'run', 'model', 'model.json')),
    train.out
  );

  const analyze = run('npx --no-install tfjs-snn analyze --model run --limit-test 32', project);
  check(
    'tfjs-snn analyze without vega says to npm install vega vega-lite',
    analyze.status !== 0 && analyze.out.includes('run npm install vega vega-lite'),
    analyze.out
  );

  let example = {status: null, out: ''};
  try {
    writeFileSync(join(project, 'example.mjs'), readme.example({smaller: true}));
    example = run(`${JSON.stringify(process.execPath)} example.mjs`, project);
  } catch (e) {
    example.out = String(e); // the README's Example no longer has the numbers readme-example.cjs makes smaller
  }
  check(
    "README.md's Example runs against the installed package, on wasm",
    example.status === 0 && /^backend wasm, test accuracy \d+\.\d %$/m.test(example.out),
    example.out
  );
} finally {
  rmSync(project, {recursive: true, force: true});
}
console.log(
  `test-install: ${failures.length === 0 ? 'all checks passed' : `${failures.length} failed`} in ` +
    `${seconds(started)} s`
);
process.exitCode = failures.length === 0 ? 0 : 1;
