/** Entry of the page bundle: the webgl half of `npm run bench`, driven from Node by bench/browser_run.ts. */
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-layers'; // registers the gradients of the core ops the naive LIF uses

import * as tf from '@tensorflow/tfjs-core';

import {runConfig} from './measure';
import type {BrowserInfo, PageApi} from './types';

interface WebGLBackendInternals {
  gpgpu: {gl: WebGL2RenderingContext};
}

function rendererName(): string {
  const gl = (tf.backend() as unknown as WebGLBackendInternals).gpgpu.gl;
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(debug != null ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

async function init(): Promise<BrowserInfo> {
  // Small tensors would otherwise run on the CPU: keep every op on the GPU.
  tf.env().set('WEBGL_CPU_FORWARD', false);
  if (!(await tf.setBackend('webgl'))) throw new Error('the webgl backend failed to initialise');
  return {
    userAgent: navigator.userAgent,
    tfjs: tf.version_core,
    webglVersion: tf.env().getNumber('WEBGL_VERSION'),
    renderer: rendererName(),
    pack: tf.env().getBool('WEBGL_PACK'),
    cpuForward: tf.env().getBool('WEBGL_CPU_FORWARD'),
  };
}

const api: PageApi = {init, runConfig: spec => runConfig(spec)};
(window as unknown as {snnBench: PageApi}).snnBench = api;
