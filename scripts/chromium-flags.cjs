// Flags for headless Chromium with WebGL2 (and WebGPU) through SwiftShader on a machine
// without a GPU and without outside network access.
module.exports = [
  '--headless=new',
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--disable-dev-shm-usage',
];
