// tfjs-snn analyze draws its charts with vega and vega-lite; a library install must not pull them (issue 12, item 12).
import {readFileSync} from 'fs';
import {join, resolve} from 'path';

import {chartLibraries, ratesChart, svgOf} from '../../src/cli/charts';

const root = resolve(__dirname, '../../../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function notFound(id: string): never {
  const error = new Error(`Cannot find module '${id}'`) as Error & {code: string};
  error.code = 'MODULE_NOT_FOUND';
  throw error;
}

describe("the analysis charts' libraries", () => {
  it('are optional peer dependencies (not installed by `npm install tfjs-snn`) and dev dependencies for the tests', () => {
    for (const name of ['vega', 'vega-lite']) {
      expect(pkg.dependencies?.[name]).withContext(`dependencies.${name}`).toBeUndefined();
      expect(pkg.optionalDependencies?.[name]).withContext(`optionalDependencies.${name}`).toBeUndefined();
      expect(pkg.peerDependencies?.[name])
        .withContext(`peerDependencies.${name}`)
        .toMatch(/^\^5\./);
      expect(pkg.peerDependenciesMeta?.[name]?.optional).withContext(`peerDependenciesMeta.${name}`).toBeTrue();
      expect(pkg.devDependencies?.[name]).withContext(`devDependencies.${name}`).toBeDefined();
    }
  });

  it("are loaded only when a chart is drawn: the library and the command's other code never import them", () => {
    for (const file of ['dist/tfjs-snn.esm.mjs', 'dist/tfjs-snn.node.cjs', 'dist/tfjs-snn.umd.js']) {
      expect(readFileSync(join(root, file), 'utf8'))
        .withContext(file)
        .not.toMatch(/['"]vega(-lite)?['"]/);
    }
    const cli = readFileSync(join(root, 'dist/tfjs-snn-cli.cjs'), 'utf8');
    // No top-level require('vega'): only inside the loader.
    expect(cli).not.toMatch(/^(var|const|let) \w+ = require\('vega(-lite)?'\)/m);
  });

  for (const missing of ['vega', 'vega-lite']) {
    it(`without ${missing}, say which command needs it and how to install it`, () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the loader chartLibraries is given
      const load = (id: string) => (id === missing ? notFound(id) : require(id));
      expect(() => chartLibraries(load)).toThrowError(
        `tfjs-snn analyze draws its charts with vega and vega-lite, optional dependencies that are not ` +
          `installed (cannot load '${missing}'): run npm install vega vega-lite`
      );
    });
  }

  it('passes on other errors of the libraries unchanged', () => {
    const load = () => {
      throw new SyntaxError('Unexpected token');
    };
    expect(() => chartLibraries(load)).toThrowError(SyntaxError, 'Unexpected token');
    // A module missing inside vega (a broken install) is not vega missing.
    expect(() => chartLibraries(id => notFound(`${id}-util`))).toThrowError(/^Cannot find module 'vega-util'/);
  });

  it('draws an SVG when they are installed', async () => {
    const svg = await svgOf(ratesChart([{layer: 'lif1', perStep: [0.1, 0.2], mean: 0.15} as never]));
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('Firing rate per layer and time step');
  });
});
