// The UMD bundle as a <script>-tag user loads it: tf.min.js, then dist/tfjs-snn.min.js.
const base = require('./karma.conf.cjs');

module.exports = function (config) {
  base(config);
  config.set({
    files: ['node_modules/@tensorflow/tfjs/dist/tf.min.js', 'dist/tfjs-snn.min.js', 'test/umd/umd_spec.js'],
    testCountsRunner: 'karma.umd.conf.cjs',
  });
};
