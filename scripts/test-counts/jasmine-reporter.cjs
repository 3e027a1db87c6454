// A jasmine helper (test/jasmine*.json): when TFJS_SNN_TEST_COUNTS names a file, appends one JSON line with the
// run's counts to it when jasmine finishes, for scripts/ci-summary.cjs. A run that ends before that (a spec file
// that throws on load, a crash) writes nothing, which the summary counts as a failure.
const {appendFileSync} = require('fs');

const file = process.env.TFJS_SNN_TEST_COUNTS;
if (file) {
  const counts = {
    runner: process.env.npm_lifecycle_event || 'jasmine',
    defined: 0,
    passed: 0,
    failed: 0,
    skipped: 0,
    errors: [],
  };
  jasmine.getEnv().addReporter({
    jasmineStarted: info => (counts.defined = info.totalSpecsDefined),
    specDone: spec => {
      if (spec.status === 'passed') counts.passed++;
      else if (spec.status === 'failed') counts.failed++;
      else counts.skipped++; // pending (xit, pending()) or excluded
    },
    // Errors outside specs (beforeAll, afterAll) fail the run without failing a spec.
    suiteDone: suite => suite.failedExpectations.forEach(e => counts.errors.push(`${suite.fullName}: ${e.message}`)),
    jasmineDone: result => {
      result.failedExpectations.forEach(e => counts.errors.push(e.message));
      if (result.overallStatus === 'incomplete') counts.errors.push(`incomplete: ${result.incompleteReason}`);
      appendFileSync(file, JSON.stringify(counts) + '\n');
    },
  });
}
