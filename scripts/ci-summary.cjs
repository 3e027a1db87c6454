#!/usr/bin/env node
// The one-line test summary of .ci/run, from the counts the runners' reporters wrote (scripts/test-counts/: one
// JSON line per jasmine or karma run) and the exit status of the test command:
//   node scripts/ci-summary.cjs COUNTS_FILE EXIT_STATUS RUNNER...
// prints "N passed, M failed[, K skipped]" and, when some failure is not a failed spec, what it was. Failed counts
// failed specs, specs a runner announced but did not run (karma ERROR/DISCONNECTED), errors outside specs, each
// expected RUNNER that wrote no counts (a tsc error before it, a spec file that throws on load, a crash), and a
// non-zero exit status that none of those explains. Skipped: pending and excluded specs.
const {existsSync, readFileSync} = require('fs');

/** Parses the counts file: one JSON object per line. */
function readCounts(text) {
  return text
    .split('\n')
    .filter(line => line.trim() !== '')
    .map(line => JSON.parse(line));
}

/**
 * @param {Array<{runner: string, defined: number, passed: number, failed: number, skipped: number, errors: string[]}>}
 *     records the runs' counts, in the order they ran
 * @param {number} exitStatus the test command's exit status
 * @param {string[]} expected the runners that should have reported (records' `runner`)
 * @returns {{passed: number, failed: number, skipped: number, problems: string[], line: string}}
 */
function summarize(records, exitStatus, expected) {
  let [passed, failed, skipped] = [0, 0, 0];
  const problems = [];
  for (const r of records) {
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped;
    const notRun = r.defined - r.passed - r.failed - r.skipped;
    if (notRun > 0) {
      failed += notRun;
      problems.push(`${r.runner}: ${notRun} of ${r.defined} specs did not run`);
    }
    for (const error of r.errors) {
      failed++;
      problems.push(`${r.runner}: ${error}`);
    }
  }
  for (const runner of expected) {
    if (records.some(r => r.runner === runner)) continue;
    failed++;
    problems.push(`${runner}: did not run or did not finish (no counts)`);
  }
  if (exitStatus !== 0 && failed === 0) {
    failed++;
    problems.push(`the tests exited with status ${exitStatus} and no failed spec`);
  }
  const line = `${passed} passed, ${failed} failed` + (skipped > 0 ? `, ${skipped} skipped` : '');
  return {passed, failed, skipped, problems, line};
}

module.exports = {readCounts, summarize};

if (require.main === module) {
  const [file, status, ...expected] = process.argv.slice(2);
  const records = existsSync(file) ? readCounts(readFileSync(file, 'utf8')) : [];
  const summary = summarize(records, Number(status), expected);
  for (const problem of summary.problems) console.log(`  ${problem}`);
  console.log(summary.line);
}
