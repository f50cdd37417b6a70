import type { Config } from 'jest';

// Type checking is `npm run typecheck` (part of `npm test`); ts-jest only transpiles, which keeps runs fast.
const transform: Config['transform'] = {
  '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
};

const shared = {
  rootDir: __dirname,
  transform,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
};

const config: Config = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/src/**/*.spec.ts',
        '<rootDir>/migrations/**/*.spec.ts',
        '<rootDir>/test/support/**/*.spec.ts',
      ],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.spec.ts'],
      slowTestThreshold: 30,
    },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'], slowTestThreshold: 30 },
  ],
  // MariaDB suites start their own servers; two cores, so two workers.
  maxWorkers: 2,
  // Real servers and processes: generous, since a slow CI machine is not a failure.
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/support/summary-file.reporter.js'],
};

export default config;
