import {lifCases} from '../reference/lif_cases';
import {checkLifCase} from '../shared/lif_check';

const cases = lifCases();

describe('ops.lif against the float64 reference (cpu backend)', () => {
  for (const implementation of ['kernel', 'composite'] as const) {
    describe(`${implementation} path`, () => {
      for (const c of cases) {
        it(c.name, async () => {
          const e = await checkLifCase(c, implementation);
          expect(e.spikeMismatches).toBe(0);
          expect(e.membraneError).toBeLessThan(1e-5);
          expect(e.currentGradError).toBeLessThan(1e-4);
          expect(e.initialGradError).toBeLessThan(1e-4);
        });
      }
    });
  }
});
