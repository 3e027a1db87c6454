/**
 * tfjs-snn: spiking neural networks for TensorFlow.js.
 * Importing this module registers the fused kernels and their gradients.
 */
import '../kernels/register';

export * as ops from './ops/index';
export {version} from './version';
