import {lifCases} from '../reference/lif_cases';
import {checkLifCase, expectMatchesReference} from '../shared/lif_check';

const cases = lifCases();

// Every case: numbers and tensors (scalar, per channel, per neuron) for the leak and the threshold, vReset for
// the zero reset, every surrogate, detachReset both ways; tensor parameters' gradients checked too.
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

// The cases with a leak of 1 given as a number are integrate-and-fire neurons.
describe('ops.ifNeuron against the float64 reference (cpu backend)', () => {
  for (const implementation of ['kernel', 'composite'] as const) {
    describe(`${implementation} path`, () => {
      for (const c of cases.filter(k => k.leak === 1)) {
        it(c.name, async () => {
          expectMatchesReference(await checkLifCase(c, implementation, 'ifNeuron'));
        });
      }
    });
  }
});
