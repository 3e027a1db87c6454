// npm run build: tsc (ES modules + .d.ts; the Node-only CLI with its own config), then rollup
// (ESM, CommonJS, UMD, minified UMD, and the CLI's CommonJS bundle); then the browser playground.
import {execSync} from 'node:child_process';
import {rmSync} from 'node:fs';

const run = cmd => execSync(cmd, {stdio: 'inherit'});
rmSync('dist', {recursive: true, force: true});
rmSync('build/esm', {recursive: true, force: true});
run('npx tsc -p tsconfig.json');
run('npx tsc -p tsconfig.cli.json');
run('npx rollup -c rollup.config.js');
run('node scripts/build-playground.mjs');
