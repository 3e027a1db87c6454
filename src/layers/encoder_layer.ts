import {Tensor} from '@tensorflow/tfjs-core';
import {layers, Shape} from '@tensorflow/tfjs-layers';

import type {EncoderRole} from './roles';
import {checkFloatInput, checkTensorSize, formatShape, onlyTensor, singleShape} from './layer_utils';

/** Encoders add the time axis: `[batch, ...features] → [batch, timeSteps, ...features]`. */
export abstract class EncoderLayer extends layers.Layer implements EncoderRole {
  readonly snnRole = 'encoder' as const;
  abstract readonly timeSteps: number;
  /** True when the output is spikes (Poisson), false when it is the analog input repeated (direct). */
  abstract get emitsSpikes(): boolean;

  protected get label(): string {
    return `${this.getClassName()} '${this.name}'`;
  }

  private checkRank(shape: Shape | number[]): void {
    if (shape.length < 2) {
      throw new Error(
        `${this.label}: expects input [batch, ...features] (rank >= 2); got shape ` + `${formatShape(shape)}`
      );
    }
  }

  /** `[batch, timeSteps, ...features]`, checked against the size limit before anything that large is made. */
  private checkedOutputShape(shape: Shape | number[]): Shape {
    this.checkRank(shape);
    const output = [shape[0], this.timeSteps, ...shape.slice(1)];
    checkTensorSize(this.label, 'the output', output, `argument 'timeSteps' (${this.timeSteps})`);
    return output;
  }

  build(inputShape: Shape | Shape[]): void {
    this.checkedOutputShape(singleShape(this.label, inputShape));
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return this.checkedOutputShape(singleShape(this.label, inputShape));
  }

  protected analogInput(inputs: Tensor | Tensor[]): Tensor {
    const input = onlyTensor(this.label, inputs);
    this.checkedOutputShape(input.shape);
    checkFloatInput(this.label, input);
    return input;
  }
}
