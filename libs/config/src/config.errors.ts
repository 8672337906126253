/** Raised at boot when the environment does not satisfy an app's config schema; lists every bad field. */
export class ConfigError extends Error {
  constructor(
    readonly issues: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid configuration:\n  - ${issues.join('\n  - ')}`, options);
    this.name = 'ConfigError';
  }
}
