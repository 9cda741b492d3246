// Shared Jest settings. @swc/jest compiles TypeScript with decorator metadata (Nest's DI needs it);
// type checking is the `typecheck` target's job, so tests stay fast on two cores.
const { pathsToModuleNameMapper } = require('./tools/jest/paths');
const swcOptions = require('./tools/jest/swc-options');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', swcOptions],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['reflect-metadata'],
  moduleNameMapper: pathsToModuleNameMapper(),
  clearMocks: true,
  restoreMocks: true,
};
