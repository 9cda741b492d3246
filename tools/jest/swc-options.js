// How TypeScript is compiled for tests: decorator metadata on (Nest's DI needs it), CommonJS output. Shared
// by the Jest transform and by plain-node test fixtures that register their own .ts loader.
module.exports = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
