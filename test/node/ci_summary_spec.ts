// The summary line of .ci/run (scripts/ci-summary.cjs) and the reporters that feed it (scripts/test-counts/): real
// jasmine runs of small spec files, karma's results as its reporter receives them, and each way a run can fail
// without failing a spec.
import {execFileSync} from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '../../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const {readCounts, summarize} = require(path.join(root, 'scripts/ci-summary.cjs'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const karmaPlugin = require(path.join(root, 'scripts/test-counts/karma-reporter.cjs'));
const JASMINE_HELPER = path.join(root, 'scripts/test-counts/jasmine-reporter.cjs');
// jasmine's package exports only its library, whose folder is next to bin/.
const JASMINE_BIN = path.join(path.dirname(require.resolve('jasmine')), '../bin/jasmine.js');
const RUNNERS = ['test:node', 'karma.conf.cjs', 'karma.umd.conf.cjs', 'test:e2e'];

interface Counts {
  runner: string;
  defined: number;
  passed: number;
  failed: number;
  skipped: number;
  errors: string[];
}
const counts = (
  runner: string,
  passed: number,
  failed = 0,
  skipped = 0,
  defined = passed + failed + skipped,
  errors: string[] = []
): Counts => ({runner, defined, passed, failed, skipped, errors});
const allGreen = () => [
  counts('test:node', 1212, 0, 0),
  counts('karma.conf.cjs', 180),
  counts('karma.umd.conf.cjs', 4),
  counts('test:e2e', 8),
];

describe('ci-summary: the test summary line of .ci/run', () => {
  let tmp: string;
  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-snn-ci-summary-'))));
  afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}));

  /** Runs jasmine (as npm run test:node would) on spec files with the counts helper; its counts and exit status. */
  function runJasmine(name: string, specs: {[file: string]: string}): {records: Counts[]; status: number} {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    for (const [file, text] of Object.entries(specs)) fs.writeFileSync(path.join(dir, file), text);
    const countsFile = path.join(dir, 'counts.jsonl');
    let status = 0;
    try {
      execFileSync(process.execPath, [JASMINE_BIN, `--helper=${JASMINE_HELPER}`, ...Object.keys(specs)], {
        cwd: dir,
        stdio: 'pipe',
        env: {...process.env, TFJS_SNN_TEST_COUNTS: countsFile, npm_lifecycle_event: 'test:node'},
      });
    } catch (e) {
      if (typeof (e as {status?: unknown}).status !== 'number') throw e;
      status = (e as {status: number}).status;
    }
    return {records: fs.existsSync(countsFile) ? readCounts(fs.readFileSync(countsFile, 'utf8')) : [], status};
  }

  /** Karma's reporter at the end of a run, given what its browsers' lastResult and the run's results hold. */
  function karmaRun(runner: string, lastResult: object, results: object, browserError?: string): Counts[] {
    const file = path.join(tmp, `karma-${Math.random().toString(36).slice(2)}.jsonl`);
    const saved = process.env.TFJS_SNN_TEST_COUNTS;
    process.env.TFJS_SNN_TEST_COUNTS = file;
    try {
      const [, Reporter] = karmaPlugin['reporter:test-counts'];
      const reporter = new Reporter({testCountsRunner: runner});
      const browser = {name: 'Chrome 120.0.0.0 (Linux x86_64)', lastResult};
      if (browserError != null) reporter.onBrowserError(browser, browserError);
      reporter.onRunComplete([browser], results);
    } finally {
      if (saved == null) delete process.env.TFJS_SNN_TEST_COUNTS;
      else process.env.TFJS_SNN_TEST_COUNTS = saved;
    }
    return readCounts(fs.readFileSync(file, 'utf8'));
  }

  it('all runners green: every spec passed, 0 failed, no skipped part', () => {
    const summary = summarize(allGreen(), 0, RUNNERS);
    expect(summary.line).toBe('1404 passed, 0 failed');
    expect(summary.problems).toEqual([]);
  });

  it('a real jasmine run: failed, pending (pending() and xit) are reported as failed and skipped', () => {
    const {records, status} = runJasmine('mixed', {
      'a_spec.js': `
      describe('a', () => {
        it('passes', () => expect(1).toBe(1));
        it('fails', () => expect(1).toBe(2));
        it('is pending', () => pending('no data'));
        xit('is excluded', () => {});
      });`,
    });
    expect(status).not.toBe(0);
    expect(records).toEqual([counts('test:node', 1, 1, 2)]);
    expect(summarize(records, status, ['test:node']).line).toBe('1 passed, 1 failed, 2 skipped');
  });

  it('a real jasmine run with an afterAll error: green specs, the error is a failure', () => {
    const {records, status} = runJasmine('after-all', {
      'a_spec.js': `
      describe('a', () => {
        it('passes', () => expect(1).toBe(1));
        afterAll(() => { throw new Error('cleanup failed'); });
      });`,
    });
    expect(status).not.toBe(0);
    const summary = summarize(records, status, ['test:node']);
    expect(summary.line).toBe('1 passed, 1 failed');
    expect(summary.problems).toEqual(['test:node: a: Error: cleanup failed']);
  });

  it('a real jasmine run where a spec file throws on load: no counts, the runner is a failure', () => {
    const {records, status} = runJasmine('throws', {
      'a_spec.js': `describe('a', () => it('passes', () => expect(1).toBe(1)));`,
      'b_spec.js': `throw new Error('broken import');`,
    });
    expect(status).not.toBe(0);
    expect(records).toEqual([]);
    const summary = summarize(records, status, ['test:node']);
    expect(summary.line).toBe('0 passed, 1 failed');
    expect(summary.problems).toEqual(['test:node: did not run or did not finish (no counts)']);
  });

  it('a tsc error before any runner: every expected runner is a failure', () => {
    const summary = summarize([], 2, RUNNERS);
    expect(summary.line).toBe('0 passed, 4 failed');
    expect(summary.problems.length).toBe(4);
  });

  it('a failed runner stops npm test: the runners after it, which never ran, are failures', () => {
    const records = [counts('test:node', 1211, 1)];
    expect(summarize(records, 1, RUNNERS).line).toBe('1211 passed, 4 failed');
  });

  it("karma 'Executed 50 of 120 ERROR': the 70 specs that did not run are failures", () => {
    const records = karmaRun(
      'karma.conf.cjs',
      {total: 120, success: 50, failed: 0, skipped: 0, error: true, disconnected: false},
      {success: 50, failed: 0, skipped: 0, error: true, disconnected: false, exitCode: 1},
      'Uncaught TypeError: x is not a function'
    );
    expect(records).toEqual([
      counts('karma.conf.cjs', 50, 0, 0, 120, [
        'Chrome 120.0.0.0 (Linux x86_64): Uncaught TypeError: x is not a function',
      ]),
    ]);
    const summary = summarize([allGreen()[0], ...records, ...allGreen().slice(2)], 1, RUNNERS);
    expect(summary.line).toBe(`${1212 + 50 + 4 + 8} passed, 71 failed`);
    expect(summary.problems[0]).toBe('karma.conf.cjs: 70 of 120 specs did not run');
  });

  it("karma 'Executed 3 of 120 DISCONNECTED': the specs that did not run and the disconnection are failures", () => {
    const records = karmaRun(
      'karma.conf.cjs',
      {total: 120, success: 2, failed: 1, skipped: 0, error: false, disconnected: true},
      {success: 2, failed: 1, skipped: 0, error: false, disconnected: true, exitCode: 1}
    );
    expect(summarize(records, 1, ['karma.conf.cjs']).line).toBe('2 passed, 119 failed');
  });

  it("karma runs of any length (its '1 sec' lines were skipped by the old parser) and its skipped specs", () => {
    const records = karmaRun(
      'karma.umd.conf.cjs',
      {total: 4, success: 3, failed: 0, skipped: 1, error: false, disconnected: false},
      {success: 3, failed: 0, skipped: 1, error: false, disconnected: false, exitCode: 0}
    );
    expect(summarize(records, 0, ['karma.umd.conf.cjs']).line).toBe('3 passed, 0 failed, 1 skipped');
  });

  it('karma failing before any browser ran (e.g. the bundle is missing): a failure', () => {
    const file = path.join(tmp, 'karma-none.jsonl');
    process.env.TFJS_SNN_TEST_COUNTS = file;
    try {
      const [, Reporter] = karmaPlugin['reporter:test-counts'];
      new Reporter({testCountsRunner: 'karma.conf.cjs'}).onRunComplete([], {
        success: 0,
        failed: 0,
        skipped: 0,
        error: 'Error: no browser captured',
        exitCode: 1,
      });
    } finally {
      delete process.env.TFJS_SNN_TEST_COUNTS;
    }
    expect(summarize(readCounts(fs.readFileSync(file, 'utf8')), 1, ['karma.conf.cjs']).line).toBe('0 passed, 1 failed');
  });

  it('a non-zero exit that no runner explains (a step after the tests failed) is a failure', () => {
    const summary = summarize(allGreen(), 1, RUNNERS);
    expect(summary.line).toBe('1404 passed, 1 failed');
    expect(summary.problems).toEqual(['the tests exited with status 1 and no failed spec']);
  });

  it('the command line prints the problems, then the line', () => {
    const file = path.join(tmp, 'cli.jsonl');
    fs.writeFileSync(
      file,
      allGreen()
        .slice(0, 2)
        .map(r => JSON.stringify(r))
        .join('\n') + '\n'
    );
    const output = execFileSync(process.execPath, [path.join(root, 'scripts/ci-summary.cjs'), file, '1', ...RUNNERS], {
      encoding: 'utf8',
    });
    expect(output).toBe(
      '  karma.umd.conf.cjs: did not run or did not finish (no counts)\n' +
        '  test:e2e: did not run or did not finish (no counts)\n' +
        '1392 passed, 2 failed\n'
    );
  });
});
