import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..');
const readJson = (file: string): unknown => JSON.parse(readFileSync(resolve(ROOT, file), 'utf8'));

describe('lib aliases', () => {
  it('are the same for the type check (tsconfig.json), the build (.swcrc) and nest-cli.json', () => {
    const tsconfig = readJson('tsconfig.json') as { compilerOptions: { paths: Record<string, string[]> } };
    const swc = readJson('.swcrc') as { jsc: { paths: Record<string, string[]> } };
    const nest = readJson('nest-cli.json') as { projects: Record<string, { type: string; root: string }> };
    // A lib missing from .swcrc type-checks and tests fine, then fails at run time in dist/.
    expect(swc.jsc.paths).toEqual(tsconfig.compilerOptions.paths);
    const libs = Object.values(nest.projects)
      .filter((p) => p.type === 'library')
      .map((p) => `@fraudstream/${p.root.replace('libs/', '')}`)
      .sort();
    expect(libs).toEqual(Object.keys(tsconfig.compilerOptions.paths).sort());
  });
});
