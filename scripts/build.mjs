// npm run build: tsc (ES modules + .d.ts), then rollup (ESM, CommonJS, UMD, minified UMD).
import {execSync} from 'node:child_process';
import {rmSync} from 'node:fs';

const run = cmd => execSync(cmd, {stdio: 'inherit'});
rmSync('dist', {recursive: true, force: true});
rmSync('build/esm', {recursive: true, force: true});
run('npx tsc -p tsconfig.json');
run('npx rollup -c rollup.config.js');
