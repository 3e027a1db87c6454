import {Tensor} from '@tensorflow/tfjs-core';
import {layers, Shape} from '@tensorflow/tfjs-layers';

import {checkFloatInput, formatShape, onlyTensor, singleShape} from './layer_utils';

/** Encoders add the time axis: `[batch, ...features] → [batch, timeSteps, ...features]`. */
export abstract class EncoderLayer extends layers.Layer {
  abstract readonly timeSteps: number;

  protected get label(): string {
    return `${this.getClassName()} '${this.name}'`;
  }

  private checkRank(shape: Shape|number[]): void {
    if (shape.length < 2) {
      throw new Error(`${this.label}: expects input [batch, ...features] (rank >= 2); got shape ` +
                      `${formatShape(shape)}`);
    }
  }

  build(inputShape: Shape|Shape[]): void {
    this.checkRank(singleShape(this.label, inputShape));
    this.built = true;
  }

  computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = singleShape(this.label, inputShape);
    this.checkRank(shape);
    return [shape[0], this.timeSteps, ...shape.slice(1)];
  }

  protected analogInput(inputs: Tensor|Tensor[]): Tensor {
    const input = onlyTensor(this.label, inputs);
    this.checkRank(input.shape);
    checkFloatInput(this.label, input);
    return input;
  }
}
