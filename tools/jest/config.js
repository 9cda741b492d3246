// One Jest config per project, three tiers chosen by JEST_TIER (set by the Nx targets):
//   unit         *.spec.ts beside the code, no I/O
//   integration  *.int-spec.ts against the real PostgreSQL / RabbitMQ
//   e2e          *.e2e-spec.ts through HTTP on the real app
const path = require('node:path');

const TIERS = {
  unit: { match: '**/*.spec.ts', timeout: 5_000 },
  integration: { match: '**/*.int-spec.ts', timeout: 30_000 },
  e2e: { match: '**/*.e2e-spec.ts', timeout: 30_000 },
};

function projectJestConfig(projectDir) {
  const tier = process.env.JEST_TIER ?? 'unit';
  const settings = TIERS[tier];
  if (!settings) throw new Error(`JEST_TIER must be one of ${Object.keys(TIERS).join(', ')}`);
  const workspaceRoot = path.resolve(__dirname, '../..');
  return {
    ...require(path.join(workspaceRoot, 'jest.preset.js')),
    displayName: `${path.relative(workspaceRoot, projectDir)} (${tier})`,
    rootDir: projectDir,
    testMatch: [`<rootDir>/${settings.match}`],
    testTimeout: settings.timeout,
    passWithNoTests: false,
    reporters: ['default', path.join(__dirname, 'summary-reporter.js')],
  };
}

module.exports = { projectJestConfig };
