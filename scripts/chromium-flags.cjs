// Flags for headless Chromium with WebGL2 (and WebGPU) through SwiftShader on a machine
// without a GPU and without outside network access.
module.exports = [
  '--headless=new',
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  // WebGPU (test/browser/lif_webgpu_spec.ts) on SwiftShader's Vulkan adapter.
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--disable-dev-shm-usage',
];
