/** Saving and loading models in Node.js without tfjs-node: io.fileSystem and file:// URLs. */
export {fileSystem} from './file_system';
export {registerFileRouter} from './file_router';
