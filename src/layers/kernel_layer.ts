import {add, serialization, Tensor} from '@tensorflow/tfjs-core';
import {LayerVariable} from '@tensorflow/tfjs-layers';

import {registerAll} from '../../kernels/register';
import type {SynapticRole} from './roles';
import {SpikingLayer} from './spiking_layer';
import {ResolvedWeightArgs, weightArgsConfig} from './weight_args';

/** A spiking layer with a kernel and an optional bias (spikingConv2d, spikingDense). */
export abstract class KernelLayer extends SpikingLayer implements SynapticRole {
  readonly snnRole = 'synaptic' as const;
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

  /** Inputs per output neuron: the kernel's size over its output axis (throws before the layer is built). */
  fanIn(): number {
    if (this.kernel == null) throw new Error(`${this.label}: fanIn() needs the layer built (its kernel)`);
    const shape = this.kernel.shape as number[];
    return shape.reduce((a, b) => a * b, 1) / shape[shape.length - 1];
  }

  protected withBias(current: Tensor): Tensor {
    return this.bias == null ? current : add(current, this.bias.read());
  }

  protected weightConfig(): serialization.ConfigDict {
    return weightArgsConfig(this.weightArgs);
  }
}
