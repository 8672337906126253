import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The repository root: the nearest folder above with a package.json. Tests run this file from
 * tests/support, scripts from its compiled copy in dist/tests/support, one level deeper.
 */
function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

/** Where scripts/tools.sh links the programs it brings (or finds on the PATH). */
const TOOLS_BIN = join(repositoryRoot(), '.cache', 'bin');

/** The programs beyond the README's prerequisites that tests run, as scripts/tools.sh names them. */
export type ProjectTool = 'redis-server' | 'moto_server' | 'promtool' | 'kubectl' | 'chromium';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The tool in .cache/bin, else the one on the PATH; null when there is neither. */
export function findTool(name: ProjectTool): string | null {
  const linked = join(TOOLS_BIN, name);
  if (executable(linked)) return linked;
  const onPath = spawnSync('sh', ['-c', 'command -v "$0"', name], { encoding: 'utf8' });
  const found = onPath.stdout.trim();
  return onPath.status === 0 && found ? found : null;
}

/**
 * The tool's path, or an error that says how to bring it: a test that needs a tool fails without
 * it rather than skip, since `npm test` brings every one (and says why when it cannot).
 */
export function requireTool(name: ProjectTool): string {
  const path = findTool(name);
  if (path) return path;
  throw new Error(
    `${name} is neither in .cache/bin nor on the PATH: \`bash scripts/tools.sh ${name}\` brings it ` +
      '(`npm test` runs it first; its messages say why a download failed)',
  );
}
