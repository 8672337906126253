import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const root = import.meta.dirname;
const tsconfig = JSON.parse(readFileSync(resolve(root, 'tsconfig.json'), 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};

// Path aliases come from tsconfig.json so the two never disagree.
const alias = Object.fromEntries(
  Object.entries(tsconfig.compilerOptions.paths).map(([name, targets]) => [
    name,
    resolve(root, targets[0] ?? ''),
  ]),
);

// SWC (not esbuild) so decorator metadata, which NestJS's dependency injection reads, is emitted.
// .swcrc excludes specs from the build, so the test transform is configured here instead.
const setupFiles = [resolve(root, 'tests/support/vitest-setup.ts')];
const globalSetup = [resolve(root, 'tests/support/global-setup.ts')];

const plugins = [
  swc.vite({
    swcrc: false,
    module: { type: 'es6' },
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
    },
  }),
];

export default defineConfig({
  plugins,
  resolve: { alias },
  test: {
    projects: [
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'unit',
          setupFiles,
          include: ['apps/**/*.spec.ts', 'libs/**/*.spec.ts', 'scripts/**/*.spec.ts', 'bench/**/*.spec.ts'],
          testTimeout: 20_000,
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'integration',
          setupFiles,
          globalSetup,
          include: ['tests/integration/**/*.int-spec.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Two cores: integration files share one broker; run them one file at a time.
          fileParallelism: false,
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'e2e',
          setupFiles,
          globalSetup,
          include: ['tests/e2e/**/*.e2e-spec.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
