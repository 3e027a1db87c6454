/** The package version (kept equal to package.json by test/node/package_spec). */
export const version = '0.1.0';
