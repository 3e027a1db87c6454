// Browser suite: jasmine specs bundled by scripts/bundle-browser-tests.mjs, run in
// headless Chromium (Debian's package) with WebGL2 through SwiftShader.
const flags = require('./scripts/chromium-flags.cjs');

process.env.CHROME_BIN = process.env.CHROME_BIN || '/usr/bin/chromium';

module.exports = function (config) {
  config.set({
    frameworks: ['jasmine'],
    files: [
      'build/browser/tests.js',
      {pattern: 'build/browser/node-models/**/*', included: false, served: true, watched: false},
      // Fixture files the specs fetch as bytes (/base/test/fixtures/...), as a page would.
      {pattern: 'test/fixtures/**/*', included: false, served: true, watched: false},
      // tfjs-backend-wasm's binaries, for wasm_programs_spec (setWasmPaths('/base/node_modules/...')).
      {
        pattern: 'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
        included: false,
        served: true,
        watched: false,
      },
    ],
    mime: {'application/wasm': ['wasm']},
    browsers: ['ChromiumSwiftShader'],
    customLaunchers: {
      ChromiumSwiftShader: {base: 'Chrome', flags},
    },
    // test-counts: the run's counts for .ci/run's summary (scripts/test-counts/karma-reporter.cjs).
    plugins: ['karma-*', require('./scripts/test-counts/karma-reporter.cjs')],
    reporters: ['progress', 'test-counts'],
    testCountsRunner: 'karma.conf.cjs',
    singleRun: true,
    browserNoActivityTimeout: 600000,
    browserDisconnectTimeout: 60000,
    captureTimeout: 120000,
    client: {jasmine: {random: false, timeoutInterval: 120000}, captureConsole: true},
    browserConsoleLogOptions: {level: 'log', terminal: true},
  });
};
