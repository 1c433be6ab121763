// Two projects: `unit` needs no servers; `integration` (activities, workflows,
// API, CLI, browser) runs against the real local test ground, which the global
// setup starts once per run and the global teardown stops.
const tsJest = ['ts-jest', { diagnostics: false }];
// @kubernetes/client-node 1.x and its OIDC dependencies ship only ES modules,
// which Node 20 can require() but Jest's module system cannot: transpile them.
const esmOnly = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose'];
const esmTransform = {
  transform: {
    '^.+\\.ts$': tsJest,
    [`node_modules/(${esmOnly.join('|')})/.+\\.js$`]: ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true, isolatedModules: true } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
};

/** @type {import('jest').Config} */
module.exports = {
  // A Temporal native connection left open by a test's teardown (seen with
  // --detectOpenHandles) must not keep the run from ending with its verdict:
  // the global teardown has stopped every server by then.
  forceExit: true,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      ...esmTransform,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      ...esmTransform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
