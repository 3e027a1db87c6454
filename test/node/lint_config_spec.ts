// The lint and format set-up that `npm test` runs first: ESLint (eslint.config.mjs) catches the
// mistakes tsc lets through, Prettier (.prettierrc.json) holds the house layout, and both skip
// build outputs and generated files.
import {ESLint} from 'eslint';
import {readFileSync} from 'fs';
import {join, resolve} from 'path';
import * as prettier from 'prettier';

const root = resolve(__dirname, '../../../..');
// The first lint loads the TypeScript parser: seconds on a loaded machine.
const TIMEOUT_MS = 60000;

describe('lint and format configuration', () => {
  const eslint = new ESLint({cwd: root});

  async function ruleIds(code: string, file: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, {filePath: join(root, file)});
    return result.messages.map(m => `${m.ruleId}`).sort();
  }

  it(
    'ESLint flags an unused variable, a let never reassigned and an explicit any in a source file',
    async () => {
      const bad = 'export function f(x: any): number {\n  let y = 1;\n  const unused = 2;\n  return x + y;\n}\n';
      expect(await ruleIds(bad, 'src/lint_probe.ts')).toEqual([
        '@typescript-eslint/no-explicit-any',
        '@typescript-eslint/no-unused-vars',
        'prefer-const',
      ]);
      const good = 'export function f(x: number): number {\n  const y = 1;\n  return x + y;\n}\n';
      expect(await ruleIds(good, 'src/lint_probe.ts')).toEqual([]);
    },
    TIMEOUT_MS
  );

  it(
    'ESLint knows the Node globals in scripts and flags undefined names there',
    async () => {
      const script =
        "const {join} = require('path');\nconsole.log(join(__dirname, 'x'), process.argv, undefinedName);\n";
      expect(await ruleIds(script, 'scripts/lint_probe.cjs')).toEqual(['no-undef']);
    },
    TIMEOUT_MS
  );

  it(
    'ESLint skips build outputs and generated files, and lints every source folder',
    async () => {
      for (const ignored of [
        'build/node/src/index.js',
        'dist/tfjs-snn.esm.mjs',
        'docs/results/x.js',
        'examples/playground/models/x.js',
      ]) {
        expect(await eslint.isPathIgnored(join(root, ignored)))
          .withContext(ignored)
          .toBe(true);
      }
      for (const linted of [
        'src/index.ts',
        'kernels/register.ts',
        'test/node/setup.ts',
        'scripts/build.mjs',
        'bench/main.ts',
        'bin/tfjs-snn.cjs',
        'tools/make_fashion_subset.mjs',
        'examples/playground/src/main.ts',
        'eslint.config.mjs',
      ]) {
        expect(await eslint.isPathIgnored(join(root, linted)))
          .withContext(linted)
          .toBe(false);
      }
    },
    TIMEOUT_MS
  );

  it(
    'Prettier accepts the house layout and rejects another',
    async () => {
      const file = join(root, 'src/format_probe.ts');
      const options = {...(await prettier.resolveConfig(file)), filepath: file};
      const house = "import {a} from 'b';\n\nexport const f = (x: number) => ({x, y: [a, 2]});\n";
      expect(await prettier.check(house, options)).toBe(true);
      const other = 'import { a } from "b";\n\nexport const f = (x: number) => ({ x, y: [a, 2] });\n';
      expect(await prettier.check(other, options)).toBe(false);
      expect(await prettier.format(other, options)).toBe(house);
    },
    TIMEOUT_MS
  );

  it(
    'Prettier skips Markdown, the playground page and generated files',
    async () => {
      for (const ignored of [
        'README.md',
        'docs/lif.md',
        'examples/playground/index.html',
        'package-lock.json',
        'test/fixtures/bntt_reference.json',
        'docs/results/fmnist-bntt-t4/report.json',
      ]) {
        const info = await prettier.getFileInfo(join(root, ignored), {ignorePath: join(root, '.prettierignore')});
        expect(info.ignored).withContext(ignored).toBe(true);
      }
    },
    TIMEOUT_MS
  );

  it('npm test runs lint (tsc over the library and the benchmarks, and ESLint) and format:check before anything else', () => {
    const {scripts} = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(scripts.test).toMatch(/^npm run lint && npm run format:check && /);
    expect(scripts.lint).toMatch(/^tsc -p tsconfig\.json --noEmit && tsc -p bench\/tsconfig\.json && eslint .* \.$/);
    expect(scripts['format:check']).toMatch(/^prettier --check .*\.$/);
  });
});
