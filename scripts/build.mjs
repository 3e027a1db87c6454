// npm run build: tsc (ES modules + .d.ts; the Node-only CLI with its own config), then rollup
// (ESM, CommonJS, UMD, minified UMD, and the CLI's CommonJS bundle), the ES module build's .d.mts; then the
// browser playground.
import {execSync} from 'node:child_process';
import {rmSync, writeFileSync} from 'node:fs';

const run = cmd => execSync(cmd, {stdio: 'inherit'});
rmSync('dist', {recursive: true, force: true});
rmSync('build/esm', {recursive: true, force: true});
run('npx tsc -p tsconfig.json');
run('npx tsc -p tsconfig.cli.json');
run('npx rollup -c rollup.config.js');
// The ES module build's types: a .d.mts, so TypeScript knows the `import` entry is an ES module (named exports,
// no default export) while the `require` entry keeps dist/types as CommonJS declarations.
writeFileSync(
  'dist/tfjs-snn.esm.d.mts',
  `/** Types of dist/tfjs-snn.esm.mjs: the named exports of src/index.ts. */
export * from './types/src/index.js';
`
);
run('node scripts/build-playground.mjs');
