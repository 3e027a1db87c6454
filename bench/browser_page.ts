/** Entry of the page bundle: the webgl and webgpu half of `npm run bench`, driven from Node by bench/browser_run.ts. */
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-layers'; // registers the gradients of the core ops the naive LIF uses

import * as tf from '@tensorflow/tfjs-core';

import {adapterName, navigatorGpu} from '../test/shared/webgpu_adapter';

import {runConfig} from './measure';
import type {BrowserBackend, BrowserInfo, PageApi} from './types';

interface WebGLBackendInternals {
  gpgpu: {gl: WebGL2RenderingContext};
}

function rendererName(): string {
  const gl = (tf.backend() as unknown as WebGLBackendInternals).gpgpu.gl;
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(debug != null ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

/** The WebGPU adapter's name, or an error saying why there is none. */
async function webGPUAdapterName(): Promise<string> {
  const gpu = navigatorGpu();
  if (gpu == null) throw new Error('WebGPU is unavailable: navigator.gpu is missing');
  const adapter = await gpu.requestAdapter();
  if (adapter == null) throw new Error('WebGPU is unavailable: navigator.gpu.requestAdapter() found no adapter');
  return adapterName(adapter);
}

async function init(backend: BrowserBackend): Promise<BrowserInfo> {
  const common = {userAgent: navigator.userAgent, tfjs: tf.version_core, backend};
  if (backend === 'webgpu') {
    const renderer = await webGPUAdapterName();
    if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend failed to initialise');
    return {...common, renderer};
  }
  // Small tensors would otherwise run on the CPU: keep every op on the GPU.
  tf.env().set('WEBGL_CPU_FORWARD', false);
  if (!(await tf.setBackend('webgl'))) throw new Error('the webgl backend failed to initialise');
  return {
    ...common,
    webglVersion: tf.env().getNumber('WEBGL_VERSION'),
    renderer: rendererName(),
    pack: tf.env().getBool('WEBGL_PACK'),
    cpuForward: tf.env().getBool('WEBGL_CPU_FORWARD'),
  };
}

const api: PageApi = {init, runConfig: spec => runConfig(spec)};
(window as unknown as {snnBench: PageApi}).snnBench = api;
