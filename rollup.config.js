// Bundles the tsc output (build/esm) into the published formats. Every
// @tensorflow/* import stays external; in the UMD bundles it maps to the global `tf`.
const {existsSync, readFileSync} = require('fs');
const terser = require('@rollup/plugin-terser');

const input = 'build/esm/src/index.js';
// h5wasm (NIR files) is imported dynamically on first use and stays an import() for the user's bundler or import map.
const external = id => id.startsWith('@tensorflow/') || id === 'h5wasm';
const globals = id => (id.startsWith('@tensorflow/') ? 'tf' : undefined);
const banner = `/** tfjs-snn ${require('./package.json').version} | Apache-2.0 */`;

// Reads tsc's source maps with its output, so that the bundles' maps lead back to src/ and kernels/ (which ship)
// rather than to build/esm (which does not).
const tscSourceMaps = {
  name: 'tsc-source-maps',
  load(id) {
    if (!existsSync(`${id}.map`)) return null;
    return {
      code: readFileSync(id, 'utf8').replace(/\/\/# sourceMappingURL=\S+\s*$/, ''),
      map: readFileSync(`${id}.map`, 'utf8'),
    };
  },
};

function umd(file, minify) {
  return {
    file,
    format: 'umd',
    name: 'snn',
    globals,
    banner,
    sourcemap: true,
    exports: 'named',
    plugins: minify ? [terser({format: {comments: /tfjs-snn/}})] : [],
  };
}

// The command's charting libraries (optional peer dependencies, required on first use) stay in node_modules.
const nodeExternal = id => external(id) || id.startsWith('node:') || id === 'vega' || id === 'vega-lite';

module.exports = [
  {
    input,
    external,
    plugins: [tscSourceMaps],
    output: [
      // src/data/subset.ts finds the bundled data from this module's file.
      {
        file: 'dist/tfjs-snn.esm.mjs',
        format: 'es',
        banner,
        sourcemap: true,
        intro: 'const TFJS_SNN_MODULE_URL = import.meta.url;',
      },
      {file: 'dist/tfjs-snn.node.cjs', format: 'cjs', banner, sourcemap: true, exports: 'named'},
      umd('dist/tfjs-snn.umd.js', false),
      umd('dist/tfjs-snn.min.js', true),
    ],
  },
  {
    // The `tfjs-snn` command (bin/tfjs-snn.cjs): Node only.
    input: 'build/esm/src/cli/main.js',
    external: nodeExternal,
    plugins: [tscSourceMaps],
    output: {file: 'dist/tfjs-snn-cli.cjs', format: 'cjs', banner, sourcemap: true, exports: 'named'},
  },
];
