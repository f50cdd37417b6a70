// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Feature folders: each owns its state and meets the others only through their index.ts. */
const FEATURES = [
  'config-store',
  'instances',
  'backup',
  'failover',
  'cluster',
  'health',
  'system',
  'upgrade',
  'cli',
  'dashboard',
  'metrics',
];
/** The layers every feature stands on; they never reach up into one. */
const FOUNDATIONS = ['common', 'config', 'database'];

const boundaries = [
  {
    target: FOUNDATIONS.map((layer) => `./src/${layer}`),
    // Features, and the top-level wiring files (src/*.ts: app module, entities, main, cli, factory, shutdown).
    // (All globs: the rule takes either only globs or none in one zone.)
    from: [...FEATURES.map((feature) => `./src/${feature}/**`), './src/*.ts'],
    message:
      'common/, config/ and database/ never import a feature: hand what they need down from the top-level wiring.',
  },
  ...FEATURES.map((feature) => ({
    target: `./src/${feature}`,
    from: FEATURES.filter((other) => other !== feature).map((other) => `./src/${other}`),
    except: ['./index.ts'],
    message: `import another feature through its index.ts (its public face), not its internals.`,
  })),
  // Not even through index.ts (docs: ARCHITECTURE.md, "Which way the arrows run"): they meet through
  // ports in database/ (ReplicaRebuilder) bound by the app's wiring, and through events.
  {
    target: './src/failover',
    from: './src/backup',
    message: 'failover does not import backup: use a port in src/database bound in src/app.module.ts, or an event.',
  },
  {
    target: './src/backup',
    from: './src/failover',
    message:
      'backup does not import failover: react to its events (db.primary-changed), or use a port in src/database.',
  },
];

/** What the dashboard's modules use from the browser (no `globals` package for a dozen names). */
const BROWSER_GLOBALS = [
  'AbortController',
  'Node',
  'Option',
  'TextDecoderStream',
  'clearInterval',
  'clearTimeout',
  'console',
  'document',
  'fetch',
  'sessionStorage',
  'setInterval',
  'setTimeout',
  'window',
  'URLSearchParams',
];

export default tseslint.config(
  // Plain JavaScript (scripts/, .ci/, this file, a test helper) is a few small Node scripts outside the
  // TypeScript project: the type-checked rules cannot parse them, and they are kept short instead.
  // The dashboard's browser modules are the exception: linted below without type information.
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'docker/**',
      '**/*.js',
      '**/*.mjs',
      '!public/dashboard/*.js',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // lint-probe.ts is no real file: the boundary test lints one from stdin to prove the rule bites.
      parserOptions: {
        projectService: { allowDefaultProject: ['src/*/lint-probe.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { typescript: { project: './tsconfig.json' } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'import-x/no-restricted-paths': ['error', { zones: boundaries }],
      'import-x/no-duplicates': 'error',
      // Ports return promises, and so do their implementations and fakes even when they do not
      // await: dropping `async` would turn their thrown errors into synchronous throws.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests and benchmarks read HTTP bodies, CLI output and driver rows as `any` on purpose:
    // their assertions are what check the shape.
    files: ['test/**/*.ts', 'bench/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // expect(fake.method).toHaveBeenCalled() passes a method unbound by design.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // The admin dashboard: plain browser modules served as they are (no build chain).
    files: ['public/dashboard/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      globals: Object.fromEntries(BROWSER_GLOBALS.map((name) => [name, 'readonly'])),
    },
  },
  prettier,
);
