/**
 * `weightDecay`: PyTorch SGD's `weight_decay` as a tfjs regularizer. Guide: docs/layers/README.md.
 *
 * @module
 */
export {weightDecay} from './weight_decay';
