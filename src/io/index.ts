/**
 * Saving and loading models in Node.js without tfjs-node: io.fileSystem and file:// URLs. Guide: docs/saving.md.
 *
 * @module
 */
export {fileSystem} from './file_system';
export {registerFileRouter} from './file_router';
