// The minified UMD bundle, loaded by <script> after tf.min.js, as a page would.
/* global tf, snn */
describe('dist/tfjs-snn.min.js after tf.min.js', () => {
  it('exposes snn.ops and registers the fused webgl kernels on the global tf', async () => {
    tf.env().set('WEBGL_CPU_FORWARD', false);
    expect(await tf.setBackend('webgl')).toBe(true);
    expect(typeof snn.ops.lif).toBe('function');
    expect(tf.getKernel('SnnLif', 'webgl')).toBeDefined();
    expect(tf.getKernel('SnnLifGrad', 'webgl')).toBeDefined();
  });

  it('computes spikes and surrogate gradients on webgl', async () => {
    const x = tf.fill([1, 3, 2], 0.6);
    const spikes = snn.ops.lif(x, {leak: 1, implementation: 'kernel'});
    expect(Array.from(await spikes.data())).toEqual([0, 0, 1, 1, 0, 0]);
    // U = 0.6, 1.2, 0.8: triangle slopes 0.3·(0.6, 0.8, 0.8); detached subtract reset.
    const dx = tf.grad(xs => tf.sum(snn.ops.lif(xs, {leak: 1})))(x);
    const expected = [0.3 * (0.6 + 0.8 + 0.8), 0.3 * (0.8 + 0.8), 0.3 * 0.8];
    const g = await dx.data();
    for (let t = 0; t < 3; t++) expect(g[2 * t]).toBeCloseTo(expected[t], 5);
    tf.dispose([x, spikes, dx]);
  });

  it('builds, trains, saves and reloads a BNTT spiking model with snn.layers', async () => {
    const model = tf.sequential();
    model.add(snn.layers.directEncoder({timeSteps: 3, inputShape: [6, 6, 1]}));
    model.add(snn.layers.spikingConv2d({filters: 2, kernelSize: 3}));
    model.add(snn.layers.bntt());
    model.add(snn.layers.lif());
    model.add(snn.layers.spikingAvgPool2d());
    model.add(snn.layers.spikingFlatten());
    model.add(snn.layers.spikingDense({units: 3}));
    model.add(snn.layers.timeAverage());
    model.compile({optimizer: 'sgd', loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p)});
    const x = tf.randomUniform([4, 6, 6, 1], 0, 2, 'float32', 1);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3).toFloat();
    await model.fit(x, y, {epochs: 1, batchSize: 4, callbacks: [snn.callbacks.spikeRateMonitor()]});
    let artifacts;
    await model.save(
      tf.io.withSaveHandler(async a => {
        artifacts = a;
        return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
      })
    );
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const [a, b] = [model.predict(x), loaded.predict(x)];
    expect(loaded.layers.map(l => l.getClassName())).toContain('SnnBntt');
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([x, y, a, b]);
    model.dispose();
    loaded.dispose();
  });
});
