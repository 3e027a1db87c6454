import {add, serialization, Tensor} from '@tensorflow/tfjs-core';
import {LayerVariable} from '@tensorflow/tfjs-layers';

import {registerAll} from '../../kernels/register';
import {SpikingLayer} from './spiking_layer';
import {ResolvedWeightArgs, weightArgsConfig} from './weight_args';

/** A spiking layer with a kernel and an optional bias (spikingConv2d, spikingDense). */
export abstract class KernelLayer extends SpikingLayer {
  protected abstract readonly weightArgs: ResolvedWeightArgs;
  protected kernel?: LayerVariable;
  protected bias?: LayerVariable;

  protected addKernelAndBias(kernelShape: number[]): void {
    // A backend imported after this package (wasm) gets the kernels that replace its own (its conv input
    // gradient, transposed matmuls) now.
    registerAll();
    const w = this.weightArgs;
    this.kernel = this.addWeight(
      'kernel',
      kernelShape,
      'float32',
      w.kernelInitializer,
      w.kernelRegularizer,
      true,
      w.kernelConstraint
    );
    if (w.useBias) {
      const outputs = kernelShape[kernelShape.length - 1];
      this.bias = this.addWeight(
        'bias',
        [outputs],
        'float32',
        w.biasInitializer,
        w.biasRegularizer,
        true,
        w.biasConstraint
      );
    }
    this.built = true;
  }

  protected withBias(current: Tensor): Tensor {
    return this.bias == null ? current : add(current, this.bias.read());
  }

  protected weightConfig(): serialization.ConfigDict {
    return weightArgsConfig(this.weightArgs);
  }
}
