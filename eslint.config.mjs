// Typed ESLint flat config. Zero warnings in CI (`npm run lint` passes --max-warnings 0).
import tseslint from 'typescript-eslint';

const LIB_BOUNDARY_PATTERNS = [
  {
    group: ['@fraudstream/*/*'],
    message: 'Import a lib through its public entry, @fraudstream/<name>.',
  },
  {
    group: ['**/libs/*/src/**', '../../libs/**', '../../../libs/**'],
    message: 'Import other libs as @fraudstream/<name>.',
  },
];

/** The libraries of the loop itself, which neither the contracts nor the tokeniser may import. */
const LOOP_LIBS = [
  'config',
  'kafka',
  'observability',
  'stats',
  'features',
  'model',
  'drift',
  'training',
  'registry',
  'simulation',
];

/** Libs a lib must not depend on (the lib graph stays layered; see docs/statistics.md). */
const FORBIDDEN_LIB_DEPENDENCIES = {
  // Statistics are general: they know the manifest's types, not the loop's apps or transport.
  stats: ['drift', 'training', 'simulation', 'features', 'model', 'kafka', 'observability', 'config'],
  // Training gets its statistics from stats and its data from the caller, never from the simulator.
  training: ['drift', 'simulation'],
  // The tokeniser is a leaf: ingress code of any kind can use it without pulling in the loop.
  pii: [...LOOP_LIBS, 'contracts', 'datasets', 'console'],
  // Contracts are the root of the graph.
  contracts: LOOP_LIBS,
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'var/**',
      '.cache/**',
      '.tools/**',
      '.gpu/**',
      '.gl/**',
      'reports/**',
      'eslint.config.mjs',
      'vitest.config.mts',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Handlers implement async interfaces (StreamConsumer, Nest hooks) even when their body is synchronous.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      'no-restricted-imports': ['error', { patterns: LIB_BOUNDARY_PATTERNS }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read env only through @fraudstream/config.',
        },
      ],
    },
  },
  ...Object.entries(FORBIDDEN_LIB_DEPENDENCIES).map(([lib, forbidden]) => ({
    files: [`libs/${lib}/src/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...LIB_BOUNDARY_PATTERNS,
            {
              group: forbidden.map((name) => `@fraudstream/${name}`),
              message: `libs/${lib} must not depend on this lib.`,
            },
          ],
        },
      ],
    },
  })),
  {
    // Libs below the apps use the contracts' errors and validators, never the transport; only a lib's
    // Kafka adapter (I/O behind an injectable interface) may import it.
    files: ['libs/*/src/**/*.ts'],
    ignores: ['libs/kafka/src/**', 'libs/*/src/kafka-*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@fraudstream/kafka',
              message:
                'Only transport code imports @fraudstream/kafka; errors and validators come from @fraudstream/contracts.',
            },
          ],
          patterns: [
            {
              group: ['@fraudstream/*/*'],
              message: 'Import a lib through its public entry, @fraudstream/<name>.',
            },
            {
              group: ['**/libs/*/src/**', '../../libs/**', '../../../libs/**'],
              message: 'Import other libs as @fraudstream/<name>.',
            },
          ],
        },
      ],
    },
  },
  {
    // kafkajs's read_committed filter is replaced before kafkajs loads (libs/kafka/src/aborted-records.ts):
    // a value taken from kafkajs anywhere else could load it first, unfixed.
    files: ['**/*.ts'],
    ignores: ['libs/kafka/src/kafkajs.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'kafkajs',
              allowTypeImports: true,
              message:
                "Take kafkajs values from libs/kafka/src/kafkajs.ts (in the transport) or @fraudstream/kafka: it fixes kafkajs's read_committed filter first.",
            },
          ],
        },
      ],
    },
  },
  {
    // Entry points and CLIs may print to the terminal.
    files: ['apps/*/src/main.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'apps/*/src/cli/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // The config lib is the one place that reads the process environment.
    files: ['libs/config/src/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'tests/**/*.ts'],
    rules: {
      // vitest's expect(...).rejects and mocks trip these in idiomatic test code.
      '@typescript-eslint/unbound-method': 'off',
      'no-restricted-syntax': 'off',
    },
  },
);
