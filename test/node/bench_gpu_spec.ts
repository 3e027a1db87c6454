// npm run bench:gpu where it cannot run (CI: no GPU, and Dawn's `webgpu` package is no dependency): it says
// exactly why, writes the reason to .bench/gpu.md and gpu.json, and exits 0 (nothing depends on it).
import {spawnSync} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {join, resolve} from 'node:path';

const root = resolve(__dirname, '../../../..');

function dawnInstalled(): boolean {
  try {
    createRequire(join(root, 'scripts/bench-gpu.mjs')).resolve('webgpu/package.json');
    return true;
  } catch {
    return false;
  }
}

describe('npm run bench:gpu without a GPU', () => {
  it('probes the machine and names why it does not run, exit 0; an unknown option exits 1', () => {
    if (dawnInstalled()) {
      pending("Dawn's `webgpu` package is installed here: this spec covers the machine without it (CI's)");
      return;
    }
    const run = spawnSync(process.execPath, ['scripts/bench-gpu.mjs'], {cwd: root, encoding: 'utf8'});
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('## tfjs-snn on a GPU through WebGPU in Node.js (npm run bench:gpu)');
    expect(run.stdout).toMatch(/- Vulkan loader: /);
    expect(run.stdout).toContain(
      "- **Not run**: Dawn's WebGPU for Node.js (the npm package `webgpu`) is not installed: it is no dependency " +
        'of tfjs-snn (132 MB); install it with `npm install --no-save webgpu@0.6.2` and run again.'
    );
    const report = JSON.parse(readFileSync(join(root, '.bench/gpu.json'), 'utf8'));
    expect(report.ran).toBe(false);
    expect(report.reason).toContain('is not installed');
    expect(existsSync(join(root, '.bench/gpu.md'))).toBe(true);
    const bad = spawnSync(process.execPath, ['scripts/bench-gpu.mjs', '--fast'], {cwd: root, encoding: 'utf8'});
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(
      'unknown option(s) --fast; usage: npm run bench:gpu [-- --quick] [--allow-cpu-adapter]'
    );
  });
});
