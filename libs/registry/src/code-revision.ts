import { execFileSync } from 'node:child_process';

/**
 * The code revision recorded in manifests: an explicit value (e.g. the image's GIT_SHA, set at build
 * time where no .git exists) wins; otherwise `git rev-parse HEAD` in `cwd`; otherwise `unknown`.
 */
export function resolveCodeRevision(explicit?: string | null, cwd = process.cwd()): string {
  if (explicit && explicit.trim().length > 0) return explicit.trim();
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}
