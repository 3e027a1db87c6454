/**
 * Ready-made BNTT spiking networks: the reference's VGG9 and VGG11, and a small model for 28×28 images.
 * Guide: docs/models.md.
 *
 * @module
 */
export {small} from './small';
export {vgg11, vgg9} from './vgg';
export {ENCODERS, NORMALIZATIONS} from './model_options';
export {NEURONS} from './neurons';
export type {NeuronKind} from './neurons';
export type {EncoderKind, NormalizationKind, SnnModelOptions} from './model_options';
