import {Tensor} from '@tensorflow/tfjs-core';
import {layers, Shape} from '@tensorflow/tfjs-layers';
import type {LayerArgs} from '@tensorflow/tfjs-layers/dist/engine/topology';

import {checkFloatInput, checkTimeInputRank, onlyTensor, singleShape} from './layer_utils';

export type {LayerArgs};
export type Kwargs = {[key: string]: unknown};

/**
 * The base of every layer that takes `[batch, time, ...features]`: checks the
 * input's rank when the model is built and its dtype when it is called, and
 * names the layer in every error.
 */
export abstract class SpikingLayer extends layers.Layer {
  /** Input ranks this layer accepts and how its layout reads in errors. */
  protected abstract readonly minRank: number;
  protected abstract readonly maxRank: number;
  protected abstract readonly layout: string;

  /** `className 'name'`, as errors name the layer. */
  protected get label(): string {
    return `${this.getClassName()} '${this.name}'`;
  }

  /** Weightless layers only check the input shape (computeOutputShape throws for a bad one). */
  build(inputShape: Shape | Shape[]): void {
    this.computeOutputShape(inputShape);
    this.built = true;
  }

  protected timeInputShape(inputShape: Shape | Shape[]): Shape {
    const shape = singleShape(this.label, inputShape);
    checkTimeInputRank(this.label, shape, this.minRank, this.maxRank, this.layout);
    return shape;
  }

  protected timeInput(inputs: Tensor | Tensor[]): Tensor {
    const input = onlyTensor(this.label, inputs);
    checkTimeInputRank(this.label, input.shape, this.minRank, this.maxRank, this.layout);
    checkFloatInput(this.label, input);
    return input;
  }
}
