/**
 * The backend: webgl by default, webgpu or cpu when the page's address asks (`?backend=`, set by the selector).
 * One the browser cannot run falls back (webgpu → webgl → cpu) with a visible notice saying why.
 */

export interface BackendChoice {
  name: PageBackend;
  /** Shown to the user when the page is not on the backend asked for, or on cpu. */
  notice: string | null;
  /** e.g. "webgl · WebGL 2 · float32 textures", "webgpu · adapter google swiftshader". */
  description: string;
}

/** The backends the page runs on, in the selector's order; the first is the default. */
export const PAGE_BACKENDS = ['webgl', 'webgpu', 'cpu'] as const;
export type PageBackend = (typeof PAGE_BACKENDS)[number];

/** What each backend is, for the selector (a Record: a new backend needs its line). */
export const BACKEND_LABELS: Record<PageBackend, string> = {
  webgl: 'webgl (GPU, fused SNN kernels)',
  webgpu: 'webgpu (GPU compute, fused LIF kernels)',
  cpu: 'cpu (JavaScript, slow)',
};

/** `requested`: the URL parameter 'backend', or null for the default. */
export async function chooseBackend(requested: string | null): Promise<BackendChoice> {
  if (requested != null && !(PAGE_BACKENDS as readonly string[]).includes(requested)) {
    throw new Error(
      `the URL parameter 'backend' must be ${PAGE_BACKENDS.map(b => `'${b}'`).join(', ')}; got '${requested}'`
    );
  }
  const wanted = (requested ?? PAGE_BACKENDS[0]) as PageBackend;
  let notice: string | null = null;
  if (wanted === 'webgpu') {
    const webgpu = await tryWebGPU();
    if ('adapter' in webgpu) return {name: 'webgpu', notice: null, description: `webgpu · adapter ${webgpu.adapter}`};
    notice = `WebGPU is not available here (${webgpu.reason}), so the page runs on `;
  }
  if (wanted !== 'cpu' && (await tryWebGL())) {
    return {name: 'webgl', notice: notice == null ? null : `${notice}webgl.`, description: describeWebGL()};
  }
  await tf.setBackend('cpu');
  if (wanted === 'cpu') notice = `Running on the cpu backend, as the URL asked (?backend=cpu).`;
  else {
    notice =
      (notice ?? '') +
      (notice == null ? 'WebGL is not available in this browser, so the page runs on ' : 'neither can WebGL: ') +
      'the cpu backend: everything works, but training is much slower. Try a browser with WebGL 2 (hardware ' +
      'acceleration on).';
  }
  return {name: 'cpu', notice, description: 'cpu (JavaScript)'};
}

interface GpuAdapterLike {
  info?: {vendor?: string; architecture?: string; device?: string; description?: string};
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

/** On webgpu: the adapter's name; otherwise why not. */
async function tryWebGPU(): Promise<{adapter: string} | {reason: string}> {
  const gpu = (navigator as unknown as {gpu?: GpuLike}).gpu;
  if (gpu == null) return {reason: 'this browser has no navigator.gpu'};
  if (tf.findBackendFactory('webgpu') == null) return {reason: "tfjs-backend-webgpu's script did not load"};
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return {reason: `navigator.gpu.requestAdapter() failed: ${(e as Error).message}`};
  }
  if (adapter == null) return {reason: 'navigator.gpu.requestAdapter() found no adapter'};
  const {vendor, architecture, device, description} = adapter.info ?? {};
  const name = [vendor, architecture, device, description].filter(s => s != null && s !== '').join(' ');
  try {
    if (!(await tf.setBackend('webgpu'))) return {reason: 'the webgpu backend failed to start'};
  } catch (e) {
    return {reason: `the webgpu backend failed to start: ${(e as Error).message}`};
  }
  return {adapter: name === '' ? 'unnamed' : name};
}

async function tryWebGL(): Promise<boolean> {
  try {
    return await tf.setBackend('webgl');
  } catch {
    return false;
  }
}

function describeWebGL(): string {
  const version = tf.env().getNumber('WEBGL_VERSION');
  const float32 = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') ? 'float32 textures' : 'float16 textures';
  return `webgl · WebGL ${version} · ${float32}`;
}
