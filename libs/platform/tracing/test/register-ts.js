// Lets a plain `node` process run this lib's TypeScript fixtures, compiled by swc with the settings Jest
// uses. Tracing has to be proven outside Jest: Jest loads modules with its own loader, which the
// require hooks of OpenTelemetry's instrumentations never see, so nothing would be patched in-process.
// Usage: node -r reflect-metadata -r ./register-ts.js fixture.ts
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

const swcOptions = require('../../../../tools/jest/swc-options');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), { ...swcOptions, filename });
  module._compile(code, filename);
};
