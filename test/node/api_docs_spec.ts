// Checks the public surface (every export of every namespace reachable from src/index.ts,
// resolved with the TypeScript compiler API) for doc comments: each export has one, each
// function users call has an `@example` that runs as written, and each value export is named in
// docs/ or README. `npm run docs` (TypeDoc, treatWarningsAsErrors) checks the same comments as it
// builds the reference (build/api).
import '@tensorflow/tfjs-backend-wasm';
import * as tfc from '@tensorflow/tfjs-core';
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync} from 'fs';
import {tmpdir} from 'os';
import {join, resolve} from 'path';
import * as ts from 'typescript';

const root = resolve(__dirname, '../../../..');

interface PublicExport {
  /** Dotted path from the package: `layers.lif`, `version`. */
  name: string;
  /** A value (function, class, constant) rather than a type only. */
  isValue: boolean;
  /** Callable and not a class: a function users call. */
  isFunction: boolean;
  doc: string;
  tags: string[];
  /** The code of each `@example` (inside its ```js fence). */
  examples: string[];
  file: string;
}

let cached: PublicExport[] | null = null;

/** The public surface, computed once (the compiler takes a few seconds). */
function publicSurface(): PublicExport[] {
  if (cached == null) cached = walkSurface();
  return cached;
}

function walkSurface(): PublicExport[] {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const entry = join(root, 'src/index.ts');
  const program = ts.createProgram([entry], {...parsed.options, noEmit: true});
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const found: PublicExport[] = [];
  const walk = (module: ts.Symbol, prefix: string) => {
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declaration = symbol.declarations?.[0];
      const name = prefix + exported.name;
      if (declaration != null && ts.isSourceFile(declaration)) {
        // `export * as layers from ...`
        walk(symbol, name + '.');
        continue;
      }
      const isValue = (symbol.flags & ts.SymbolFlags.Value) !== 0;
      const isClass = (symbol.flags & ts.SymbolFlags.Class) !== 0;
      const isFunction = isValue && !isClass && checker.getTypeOfSymbol(symbol).getCallSignatures().length > 0;
      found.push({
        name,
        isValue,
        isFunction,
        doc: ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim(),
        tags: symbol.getJsDocTags(checker).map(tag => tag.name),
        examples: symbol
          .getJsDocTags(checker)
          .filter(tag => tag.name === 'example')
          .map(tag => ts.displayPartsToString(tag.text).replace(/^\s*```\w*\n|```\s*$/g, '')),
        file: declaration == null ? '?' : declaration.getSourceFile().fileName.slice(root.length + 1),
      });
    }
  };
  walk(moduleSymbol, '');
  return found;
}

// Functions of the public surface that need no @example: low-level pieces of the data pipeline
// that the documented readers and `batches` call, and the router that importing the package registers.
const NO_EXAMPLE = new Set([
  'data.augmentationSeed',
  'data.batchCount',
  'data.cifarClasses',
  'data.cropAndFlip',
  'data.drawAugmentation',
  'data.gunzip',
  'data.idxFileNames',
  'data.isGzip',
  'data.mulberry32',
  'data.normalizationTable',
  'data.randomIndex',
  'data.resolveNormalization',
  'data.seededShuffle',
  'io.registerFileRouter',
]);

// Examples the spec does not run: they need what a test machine lacks.
const NOT_RUN = new Map([
  ['data.decodeIdx', 'fetches a URL'],
  ['data.loadCifarDataset', 'needs the CIFAR-10 files'],
  ['io.fromUrl', 'fetches a URL'],
  ['io.fromFiles', 'reads the files a user picked in a page'],
  // The process's wasm backend has started by then; test/node/wasm_threads_spec.ts makes the same call in a child.
  ['useThreadedWasm', "replaces the process's wasm backend"],
]);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap(entry => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'results' ? [] : markdownFiles(path);
    return entry.endsWith('.md') ? [path] : [];
  });
}

describe('the public API documentation', () => {
  let surface: PublicExport[];
  beforeAll(() => {
    surface = publicSurface();
  }, 60000);

  it('finds the public surface through src/index.ts', () => {
    const names = surface.map(e => e.name);
    // Spot checks against the namespaces src/index.ts re-exports (not computed from the walker).
    for (const name of [
      'version',
      'layers.lif',
      'layers.Lif',
      'layers.LifLayerArgs',
      'ops.lif',
      'ops.SURROGATE_DEFAULT_ALPHA',
      'io.fileSystem',
      'data.loadIdxDataset',
      'models.vgg9',
      'analysis.energy',
      'callbacks.stepDecay',
      'regularizers.weightDecay',
    ]) {
      expect(names).withContext(name).toContain(name);
    }
    expect(surface.filter(e => e.isValue).length).toBeGreaterThanOrEqual(68);
    expect(new Set(surface.map(e => e.name.split('.')[0]))).toEqual(
      new Set([
        'analysis',
        'callbacks',
        'data',
        'io',
        'layers',
        'models',
        'ops',
        'regularizers',
        'ThreadedWasmOptions',
        'useThreadedWasm',
        'version',
      ])
    );
  });

  it('has a doc comment on every export', () => {
    const missing = surface.filter(e => e.doc === '').map(e => `${e.name} (${e.file})`);
    expect(missing).withContext(`${missing.length} of ${surface.length} exports have no doc comment`).toEqual([]);
  });

  it('has an @example on every function users call', () => {
    const functions = surface.filter(e => e.isFunction);
    const missing = functions
      .filter(e => !NO_EXAMPLE.has(e.name) && !e.tags.includes('example'))
      .map(e => `${e.name} (${e.file})`);
    expect(missing).withContext(`${missing.length} of ${functions.length} functions have no @example`).toEqual([]);
    // The exemptions name functions that exist (a renamed one must leave the list).
    const names = new Set(functions.map(e => e.name));
    expect([...NO_EXAMPLE].filter(name => !names.has(name))).toEqual([]);
  });

  it('names every value export in docs/ or README.md', () => {
    const text = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))]
      .map(path => readFileSync(path, 'utf8'))
      .join('\n');
    const values = surface.filter(e => e.isValue);
    const missing = values.filter(e => !new RegExp(`\\b${e.name.split('.').pop()}\\b`).test(text)).map(e => e.name);
    expect(missing).withContext(`${missing.length} of ${values.length} value exports appear in no doc`).toEqual([]);
  });

  it('links the API reference from README.md and docs/guide.md', () => {
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('[docs/api.md](docs/api.md)');
    expect(readFileSync(join(root, 'docs/guide.md'), 'utf8')).toContain('(api.md)');
    expect(readFileSync(join(root, 'docs/api.md'), 'utf8')).toContain('`npm run docs`');
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.docs).toBe('typedoc');
  });
});

// On wasm, the backend the README tells Node users to pick: the examples train small models, which
// tfjs's cpu backend does ~100x slower.
describe('the @examples of the public API', () => {
  beforeAll(async () => {
    expect(await tfc.setBackend('wasm')).toBe(true);
  });
  afterAll(async () => {
    await tfc.setBackend('cpu');
  });

  it('runs every @example as written, with tf and snn imported', async () => {
    // Each example runs in a temporary folder where node_modules/tfjs-snn is this package (as after
    // `npm install tfjs-snn`), with `tf` (tfjs-core and tfjs-layers, as @tensorflow/tfjs has them)
    // and `snn` in scope; console.log is captured.
    const cwd = process.cwd();
    const dir = mkdtempSync(join(tmpdir(), 'tfjs-snn-examples-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules/tfjs-snn'), 'dir');
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
    const logged: string[] = [];
    const log = spyOn(console, 'log').and.callFake((...args: unknown[]) => logged.push(args.join(' ')));
    // What @tensorflow/tfjs exports for these examples, without loading its webgl backend, converter
    // and data packages into the later specs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the examples' `tf`, as a plain object
    const tf = {...tfc, ...require('@tensorflow/tfjs-layers')};
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package as a user's require() sees it
    const snn = require('../../src/index');
    let ran = 0;
    try {
      process.chdir(dir);
      for (const e of publicSurface().filter(e => e.examples.length > 0 && !NOT_RUN.has(e.name))) {
        for (const code of e.examples) {
          logged.length = 0;
          try {
            await new AsyncFunction('tf', 'snn', code)(tf, snn);
            ran++;
          } catch (error) {
            fail(`the @example of ${e.name} (${e.file}) throws ${error}\n${code}\nlogged: ${logged.join('\n')}`);
          }
        }
      }
    } finally {
      process.chdir(cwd);
      log.and.callThrough();
      rmSync(dir, {recursive: true, force: true});
    }
    expect(ran).toBeGreaterThanOrEqual(30);
    const names = new Set(
      publicSurface()
        .filter(e => e.examples.length > 0)
        .map(e => e.name)
    );
    expect([...NOT_RUN.keys()].filter(name => !names.has(name))).toEqual([]);
  }, 300000);
});
