import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import {relativeMaxError} from '../reference/lif_reference';
import {quadrantData, smallSnn, trainSmallSnn} from '../shared/learning_check';

function expectLearned(result: Awaited<ReturnType<typeof trainSmallSnn>>, lifLayers: number) {
  expect(result.lossAfter).toBeLessThan(0.6 * result.lossBefore);
  expect(result.accuracy).toBeGreaterThanOrEqual(0.9); // chance is 0.25
  expect(result.rates.length).toBe(lifLayers);
  for (const rate of result.rates) expect(rate).toBeGreaterThan(0);
  expect(result.leakedTensors).toBe(0);
}

describe('model.fit trains the spiking layers', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('cpu: conv BNTT network (fused LIF kernel)', async () => {
    await tf.setBackend('cpu');
    expectLearned(await trainSmallSnn('conv'), 2);
  });

  // tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter: this package registers one (kernels/wasm).
  it("wasm: conv BNTT network (the package's wasm conv gradient, LIF and BNTT kernels)", async () => {
    expect(await tf.setBackend('wasm')).toBeTrue();
    expectLearned(await trainSmallSnn('conv'), 2);
  });

  it('wasm: dense BNTT network on the composite LIF path (what tfjs-node runs)', async () => {
    expect(await tf.setBackend('wasm')).toBeTrue();
    expectLearned(await trainSmallSnn('dense', 6, 'composite'), 1);
  });

  it('wasm: a conv BNTT network predicts what it predicts on cpu (inference needs no conv gradient)', async () => {
    await tf.setBackend('cpu');
    const model = smallSnn('conv');
    const {x, y} = quadrantData(16);
    const values = async (t: tf.Tensor) => {
      const data = await t.data();
      t.dispose();
      return data;
    };
    const training = await values(model.apply(x, {training: true}) as tf.Tensor); // also moves the statistics
    const onCpu = await values(model.predict(x) as tf.Tensor);
    expect(await tf.setBackend('wasm')).toBeTrue();
    const onWasm = await values(model.predict(x) as tf.Tensor);
    expect(relativeMaxError(onWasm, onCpu)).toBeLessThan(1e-5);
    expect(relativeMaxError(onWasm, training)).toBeGreaterThan(1e-3); // inference used the moving statistics
    tf.dispose([x, y]);
    await tf.setBackend('cpu');
    model.dispose();
  });
});
