/**
 * Saving and loading models: io.fileSystem and file:// URLs (Node.js without tfjs-node), and loads that
 * check the weights files' SHA-256 and leave no tensors behind when they fail (Node.js and browsers).
 * Guide: docs/saving.md.
 *
 * @module
 */
export {fileSystem} from './file_system';
export {registerFileRouter} from './file_router';
export {fromFiles, fromUrl, loadLayersModel, PickedFile} from './load';
export * as nir from './nir/index';
