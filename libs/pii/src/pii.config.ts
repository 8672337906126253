import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { CardTokeniser, type ScheduledTokenKey } from './card-tokeniser';
import { TokenKeyError } from './pii.errors';
import { MIN_TOKEN_KEY_BYTES, TokenKey } from './token-key';

/**
 * Where the local tokenisation key lives when none is configured (git-ignored, like var/). Not in
 * the manifest signing key ring's directory, which that ring creates whole in one rename.
 */
export const LOCAL_TOKEN_KEY_FILE = 'var/keys/pii/local-token-key';

/** Env fragment of the apps that tokenise at ingress (the simulator app, `simulate`, `import`). */
export const piiConfigFragment = z.object({
  /** The tokenisation key as a file (a mounted secret): base64 of at least 32 random bytes... */
  PII_TOKEN_KEY_FILE: z.string().min(1).optional(),
  /** ...or as the base64 text itself. Neither: the local key (var/keys/pii, generated on first use). */
  PII_TOKEN_KEY: z.string().min(1).optional(),
  /**
   * Rotation: the key that tokenised before PII_TOKEN_KEY_FROM (file or text). Records whose event
   * time (a label's: its transaction's) is earlier keep its tokens (docs/security.md).
   */
  PII_TOKEN_PREVIOUS_KEY_FILE: z.string().min(1).optional(),
  PII_TOKEN_PREVIOUS_KEY: z.string().min(1).optional(),
  /** Event time (ISO 8601) from which PII_TOKEN_KEY tokenises; required with a previous key. */
  PII_TOKEN_KEY_FROM: z.iso.datetime({ offset: true }).optional(),
});

export type PiiConfig = z.infer<typeof piiConfigFragment>;

/**
 * Cross-field rules of the fragment, for `.superRefine(...)` after composing (boot lists them all):
 * a key as text or as a file, not both; a previous key only with the event time it ends at.
 */
export function checkPiiSettings(config: PiiConfig, ctx: z.RefinementCtx): void {
  if (config.PII_TOKEN_KEY && config.PII_TOKEN_KEY_FILE)
    ctx.addIssue({
      code: 'custom',
      path: ['PII_TOKEN_KEY'],
      message: 'set PII_TOKEN_KEY or PII_TOKEN_KEY_FILE, not both',
    });
  if (config.PII_TOKEN_PREVIOUS_KEY && config.PII_TOKEN_PREVIOUS_KEY_FILE)
    ctx.addIssue({
      code: 'custom',
      path: ['PII_TOKEN_PREVIOUS_KEY'],
      message: 'set PII_TOKEN_PREVIOUS_KEY or PII_TOKEN_PREVIOUS_KEY_FILE, not both',
    });
  const previous = config.PII_TOKEN_PREVIOUS_KEY ?? config.PII_TOKEN_PREVIOUS_KEY_FILE;
  if (previous && !config.PII_TOKEN_KEY_FROM)
    ctx.addIssue({
      code: 'custom',
      path: ['PII_TOKEN_KEY_FROM'],
      message: 'required with a previous key: the event time from which the new key tokenises',
    });
  if (!previous && config.PII_TOKEN_KEY_FROM)
    ctx.addIssue({
      code: 'custom',
      path: ['PII_TOKEN_KEY_FROM'],
      message: 'only with PII_TOKEN_PREVIOUS_KEY[_FILE]: before it, which key would tokenise?',
    });
  if (previous && !(config.PII_TOKEN_KEY ?? config.PII_TOKEN_KEY_FILE))
    ctx.addIssue({
      code: 'custom',
      path: ['PII_TOKEN_KEY'],
      message: 'a rotation needs the new key configured (PII_TOKEN_KEY or PII_TOKEN_KEY_FILE)',
    });
}

/**
 * The tokeniser of the config: PII_TOKEN_KEY, else PII_TOKEN_KEY_FILE (which must exist: a
 * configured secret is never generated), else the local key, generated on first use, as the
 * manifest signing key is; with a previous key, the rotation at PII_TOKEN_KEY_FROM.
 */
export function createCardTokeniser(config: PiiConfig): CardTokeniser {
  const current =
    keyOf(config.PII_TOKEN_KEY, config.PII_TOKEN_KEY_FILE, 'PII_TOKEN_KEY') ??
    TokenKey.fromBase64(readFileSync(ensureLocalTokenKey(), 'utf8'), `the local key ${LOCAL_TOKEN_KEY_FILE}`);
  const previous = keyOf(
    config.PII_TOKEN_PREVIOUS_KEY,
    config.PII_TOKEN_PREVIOUS_KEY_FILE,
    'PII_TOKEN_PREVIOUS_KEY',
  );
  if (!previous) {
    if (config.PII_TOKEN_KEY_FROM)
      throw new TokenKeyError('schedule', 'PII_TOKEN_KEY_FROM is set without a previous key');
    return new CardTokeniser([{ key: current, from: null }]);
  }
  if (!config.PII_TOKEN_KEY_FROM)
    throw new TokenKeyError('schedule', 'a previous key needs PII_TOKEN_KEY_FROM, the event time it ends at');
  const keys: ScheduledTokenKey[] = [
    { key: previous, from: null },
    { key: current, from: Date.parse(config.PII_TOKEN_KEY_FROM) },
  ];
  return new CardTokeniser(keys);
}

function keyOf(text: string | undefined, file: string | undefined, name: string): TokenKey | null {
  if (text && file) throw new TokenKeyError('schedule', `set ${name} or ${name}_FILE, not both`);
  if (text) return TokenKey.fromBase64(text, name);
  if (!file) return null;
  if (!existsSync(file)) throw new TokenKeyError('missing', `${name}_FILE ${file} does not exist`);
  return TokenKey.fromBase64(readFileSync(file, 'utf8'), `${name}_FILE ${file}`);
}

/**
 * The local tokenisation key, generated on first use (32 random bytes, base64, mode 600): a machine's
 * own demo and tests. Written beside the file and hard-linked into place, which fails when the file
 * exists: concurrent first uses (parallel test workers) all end up with the first one's key.
 */
export function ensureLocalTokenKey(file: string = LOCAL_TOKEN_KEY_FILE): string {
  if (existsSync(file)) return file;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const staged = join(dirname(file), `.staging-${randomUUID()}`);
  try {
    writeFileSync(staged, `${randomBytes(MIN_TOKEN_KEY_BYTES).toString('base64')}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
    linkSync(staged, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(staged, { force: true });
  }
  return file;
}
