// ESLint (flat config): @eslint/js and typescript-eslint's recommended rules over every TS/JS source.
// No stylistic rules: layout is Prettier's job (.prettierrc.json), so the two never disagree.
import js from '@eslint/js';
import {defineConfig} from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    // Build outputs, generated or vendored files, run artefacts (the rest of .gitignore too).
    ignores: [
      'build/',
      'dist/',
      'docs/results/',
      'data/',
      'runs/',
      'my-snn/',
      '.bench/',
      'examples/playground/models/',
      'test/fixtures/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: {reportUnusedDisableDirectives: 'error'},
    rules: {
      // Unused names are errors, except the `_`-prefixed ones kept on purpose (signatures, destructuring).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // Node: the command, build and bench scripts, examples, tools, configs.
    files: [
      '**/*.{cjs,mjs,js}',
      'src/cli/**',
      'bin/**',
      'scripts/**',
      'bench/**',
      'tools/**',
      'test/node/**',
      'test/e2e/**',
      'test/tools/**',
    ],
    languageOptions: {globals: {...globals.node}},
  },
  {
    files: ['**/*.cjs', 'rollup.config.js'],
    languageOptions: {sourceType: 'commonjs'},
    // CommonJS files load modules with require().
    rules: {'@typescript-eslint/no-require-imports': 'off'},
  },
  {
    // Browser code: the playground, the karma specs, the UMD test, benchmark pages.
    files: ['examples/playground/src/**', 'test/browser/**', 'test/umd/**', 'bench/**/*page*.ts'],
    languageOptions: {globals: {...globals.browser}},
  },
  {
    // Node scripts whose page.evaluate callbacks run in the benchmark page.
    files: ['bench/webgl_*.mjs', 'bench/browser_bench_runner.mjs', 'bench/conv_grad.mjs', 'bench/profile_step.mjs'],
    languageOptions: {globals: {window: 'readonly'}},
  },
  {
    files: ['test/**', 'scripts/test-counts/**'],
    languageOptions: {globals: {...globals.jasmine}},
  }
);
