import {lifCases} from '../reference/lif_cases';
import {checkLifCase, expectMatchesReference} from '../shared/lif_check';

const cases = lifCases();

describe('ops.lif against the float64 reference (cpu backend)', () => {
  for (const implementation of ['kernel', 'composite'] as const) {
    describe(`${implementation} path`, () => {
      for (const c of cases) {
        it(c.name, async () => {
          expectMatchesReference(await checkLifCase(c, implementation));
        });
      }
    });
  }
});
