/**
 * The WebGPU adapter's display name, shared by the pages that print it (bench/browser_page.ts, the browser bench
 * pages, test/browser/setup.ts). Structural types: these bundles do not depend on @webgpu/types.
 */

/** What a WebGPU adapter says about itself (the GPUAdapterInfo fields printed). */
export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}

export interface GpuAdapterLike {
  info?: AdapterInfoLike;
}

export interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

/** navigator.gpu, or undefined where the browser has no WebGPU (or the page is not a secure context). */
export function navigatorGpu(): GpuLike | undefined {
  return (globalThis.navigator as unknown as {gpu?: GpuLike} | undefined)?.gpu;
}

/** Vendor, architecture, device and description joined by spaces, the empty ones left out ('unnamed' if all are). */
export function adapterName(adapter: GpuAdapterLike): string {
  const {vendor, architecture, device, description} = adapter.info ?? {};
  return [vendor, architecture, device, description].filter(s => s != null && s !== '').join(' ') || 'unnamed';
}
