import {checkForwardBackward, checkSgdStep, ConformanceErrors, FIXTURE_TOLERANCE} from '../shared/bntt_conformance';

function expectWithinTolerance(errors: ConformanceErrors) {
  for (const [quantity, error] of Object.entries(errors)) {
    expect(error).withContext(quantity).toBeLessThanOrEqual(FIXTURE_TOLERANCE);
  }
}

describe('BNTT network vs the float64 PyTorch reference fixture (cpu)', () => {
  it('training logits, loss, every kernel and gamma gradient, moving statistics and inference logits', async () => {
    const errors = await checkForwardBackward();
    expect(Object.keys(errors).length).toBe(3 + 7 + 2 * 3);
    expectWithinTolerance(errors);
  });

  it('one model.trainOnBatch step with SGD momentum and weightDecay(1e-4) gives the reference weights', async () => {
    const errors = await checkSgdStep();
    expect(Object.keys(errors).length).toBe(7);
    expectWithinTolerance(errors);
  });

  it('the composite LIF path (what tfjs-node and wasm run) matches too', async () => {
    expectWithinTolerance(await checkForwardBackward('composite'));
  });
});
