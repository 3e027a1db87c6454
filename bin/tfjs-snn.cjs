#!/usr/bin/env node
// The tfjs-snn command line (run `tfjs-snn --help`); the code is in dist/tfjs-snn-cli.cjs (npm run build).
require('../dist/tfjs-snn-cli.cjs')
  .main(process.argv.slice(2))
  .then(code => {
    process.exitCode = code;
  });
