// A karma reporter ('test-counts'): when TFJS_SNN_TEST_COUNTS names a file, appends one JSON line with the run's
// counts to it when the run completes, for scripts/ci-summary.cjs. `defined` is what the browsers announced, so
// specs dropped by an ERROR or DISCONNECTED show as defined but not run.
const {appendFileSync} = require('fs');

function TestCountsReporter(config) {
  const file = process.env.TFJS_SNN_TEST_COUNTS;
  const errors = [];
  this.onBrowserError = (browser, error) => errors.push(`${browser.name}: ${String(error?.message ?? error)}`);
  this.onRunComplete = (browsers, results) => {
    if (!file) return;
    const counts = {runner: config.testCountsRunner ?? 'karma', defined: 0, passed: 0, failed: 0, skipped: 0, errors};
    browsers.forEach(browser => {
      const r = browser.lastResult;
      counts.defined += r.total;
      counts.passed += r.success;
      counts.failed += r.failed;
      counts.skipped += r.skipped;
      if (r.disconnected) errors.push(`${browser.name}: disconnected`);
    });
    if (typeof results.error === 'string') errors.push(results.error);
    else if (results.error && errors.length === 0) errors.push('error');
    appendFileSync(file, JSON.stringify(counts) + '\n');
  };
}
TestCountsReporter.$inject = ['config'];

module.exports = {'reporter:test-counts': ['type', TestCountsReporter]};
