// Preload (node --import) for the child processes of `npm run bench:gpu`: WebGPU in Node.js from Dawn (the npm
// package `webgpu`, which is no dependency of tfjs-snn), set up as a browser has it — navigator.gpu and the GPU*
// constants — before tfjs-backend-webgpu is imported (it registers its backend only where navigator.gpu exists).
// TFJS_SNN_DAWN_FLAGS: the Dawn toggles the parent found an adapter with, as JSON (e.g. ["backend=vulkan"]).
import {create, globals} from 'webgpu';

Object.assign(globalThis, globals);
const flags = JSON.parse(process.env.TFJS_SNN_DAWN_FLAGS ?? '[]');
Object.defineProperty(globalThis, 'navigator', {
  value: {gpu: create(flags), userAgent: `Node.js ${process.version} with Dawn (npm webgpu)`},
  configurable: true,
  writable: true,
});
