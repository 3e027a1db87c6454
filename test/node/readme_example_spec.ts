// README.md's Example runs as pasted (issue 12, item 11): on the wasm backend in Node, on the data that ships.
// It runs against the built package (dist/, npm run build), imported by name from a file inside the package;
// scripts/test-install.mjs runs the README's install command and `npx tfjs-snn train` on the packed tarball.
import {execFileSync} from 'child_process';
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {join, resolve} from 'path';

const root = resolve(__dirname, '../../../..');

// README.md's blocks, shared with scripts/test-install.mjs.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS script, shared with test-install
const readme = require(join(root, 'scripts/readme-example.cjs')) as {
  example(options?: {smaller?: boolean}): string;
  installCommand(): string;
};

describe("README.md's Example", () => {
  it('runs as pasted on wasm against the built package (with fewer images, epochs and steps), and saves', () => {
    expect(readme.example()).toContain("await tf.setBackend('wasm')");
    expect(readme.example()).toContain('snn.data.loadFashionMnistSubset(');
    expect(readme.installCommand()).toContain('@tensorflow/tfjs-backend-wasm');
    // Only numbers change, to keep the test short: 64 training images, 1 epoch, T 4, 100 test images.
    const code = readme.example({smaller: true});
    const dir = join(root, 'build', 'docs-examples'); // inside the package, so 'tfjs-snn' resolves to it
    mkdirSync(dir, {recursive: true});
    const file = join(dir, 'readme-example.mjs');
    writeFileSync(file, code);
    const cwd = mkdtempSync(join(tmpdir(), 'tfjs-snn-readme-')); // the example saves ./my-snn
    try {
      const out = execFileSync(process.execPath, [file], {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
      expect(out).toMatch(/^backend wasm, test accuracy \d+\.\d %$/m);
      expect(existsSync(join(cwd, 'my-snn', 'model.json'))).toBeTrue();
      expect(existsSync(join(cwd, 'my-snn', 'weights.bin'))).toBeTrue();
    } finally {
      rmSync(cwd, {recursive: true, force: true});
      rmSync(file, {force: true});
    }
  }, 300000);
});
