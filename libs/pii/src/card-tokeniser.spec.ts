import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CardTokeniser, isCardToken, tokenKeyId, tokenWith } from './card-tokeniser';
import {
  LOCAL_TOKEN_KEY_FILE,
  checkPiiSettings,
  createCardTokeniser,
  ensureLocalTokenKey,
  piiConfigFragment,
} from './pii.config';
import { TokenInputError, TokenKeyError } from './pii.errors';
import { TokenKey } from './token-key';

const PAN = '4539578763621486';
const keyText = (fill?: number) =>
  (fill === undefined ? randomBytes(32) : Buffer.alloc(32, fill)).toString('base64');
const keyOf = (text: string) => TokenKey.fromBase64(text, 'test key');
const DAY = 86_400_000;

describe(CardTokeniser.name, () => {
  it('gives the HMAC-SHA256 of the identifier under the key, tagged with the key id', () => {
    const text = keyText(7);
    const key = keyOf(text);
    const token = new CardTokeniser([{ key, from: null }]).tokenise(PAN, 0);
    // Computed independently of the tokeniser: node's HMAC over the same key bytes.
    const mac = createHmac('sha256', Buffer.alloc(32, 7)).update(PAN).digest('hex').slice(0, 32);
    const id = createHmac('sha256', Buffer.alloc(32, 7)).update('fraudstream.pii.key-id').digest('hex');
    expect(token).toBe(`tok_${id.slice(0, 8)}_${mac}`);
    expect(isCardToken(token)).toBe(true);
    expect(tokenKeyId(token)).toBe(key.keyId);
    expect(token).not.toContain(PAN);
  });

  it('is stable: the same identifier and key give the same token, in any tokeniser', () => {
    const text = keyText();
    const a = new CardTokeniser([{ key: keyOf(text), from: null }]);
    const b = new CardTokeniser([{ key: keyOf(text), from: null }]);
    expect(a.tokenise(PAN, 0)).toBe(b.tokenise(PAN, 5 * DAY));
    expect(a.tokenise(PAN, 0)).not.toBe(a.tokenise('4539578763621494', 0));
  });

  it('is keyed: another key gives an unrelated token with another key id', () => {
    const a = keyOf(keyText());
    const b = keyOf(keyText());
    expect(a.keyId).not.toBe(b.keyId);
    const ta = tokenWith(a, PAN);
    const tb = tokenWith(b, PAN);
    expect(ta).not.toBe(tb);
    expect(ta.slice(-32)).not.toBe(tb.slice(-32));
  });

  it('picks the key by event time: the previous key before the rotation, the new one from it', () => {
    const previous = keyOf(keyText());
    const current = keyOf(keyText());
    const rotation = 10 * DAY;
    const tokeniser = new CardTokeniser([
      { key: current, from: rotation },
      { key: previous, from: null },
    ]);
    expect(tokeniser.keyIds).toEqual([previous.keyId, current.keyId]);
    expect(tokeniser.tokenise(PAN, rotation - 1)).toBe(tokenWith(previous, PAN));
    expect(tokeniser.tokenise(PAN, rotation)).toBe(tokenWith(current, PAN));
    // Before the cutover the next key is known (its tokens go along); from it, none follows.
    expect(tokeniser.nextKeyAfter(rotation - 1)).toBe(current);
    expect(tokeniser.nextKeyAfter(rotation)).toBeNull();
  });

  it('refuses a schedule without a first key, with two keys at one time, or with no key', () => {
    const a = keyOf(keyText());
    const b = keyOf(keyText());
    expect(() => new CardTokeniser([])).toThrow(TokenKeyError);
    expect(() => new CardTokeniser([{ key: a, from: DAY }])).toThrow(/from the beginning/);
    expect(
      () =>
        new CardTokeniser([
          { key: a, from: null },
          { key: b, from: null },
        ]),
    ).toThrow(/same event time/);
  });

  it('refuses an empty identifier, and names no value when a string is not a token', () => {
    const tokeniser = new CardTokeniser([{ key: keyOf(keyText()), from: null }]);
    expect(() => tokeniser.tokenise('', 0)).toThrow(TokenInputError);
    expect(() => tokenKeyId(PAN)).toThrow(TokenInputError);
    expect(() => tokenKeyId(PAN)).not.toThrow(new RegExp(PAN));
  });
});

describe(TokenKey.name, () => {
  it('refuses a key that is empty, not base64 or shorter than 32 bytes, naming the setting', () => {
    const refusal = (text: string) => {
      try {
        TokenKey.fromBase64(text, 'PII_TOKEN_KEY');
      } catch (error) {
        return error instanceof TokenKeyError ? [error.failure, error.message] : error;
      }
      return 'accepted';
    };
    expect(refusal('  \n')).toEqual(['missing', 'PII_TOKEN_KEY is empty']);
    expect(refusal('not a key!')).toEqual([
      'malformed',
      expect.stringMatching(/^PII_TOKEN_KEY is not base64/),
    ]);
    expect(refusal(randomBytes(31).toString('base64'))).toEqual([
      'short',
      expect.stringMatching(/^PII_TOKEN_KEY holds 31 bytes; a tokenisation key needs at least 32/),
    ]);
    expect(refusal(`${keyText()}\n`)).toBe('accepted');
  });
});

describe(createCardTokeniser.name, () => {
  let dir: string;
  const config = (env: Record<string, string>) => piiConfigFragment.parse(env);
  const issues = (env: Record<string, string>) => {
    const result = piiConfigFragment.superRefine(checkPiiSettings).safeParse(env);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pii-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('tokenises with the configured key, as text or as a mounted file', () => {
    const text = keyText();
    const file = join(dir, 'key');
    writeFileSync(file, `${text}\n`);
    const fromText = createCardTokeniser(config({ PII_TOKEN_KEY: text })).tokenise(PAN, 0);
    const fromFile = createCardTokeniser(config({ PII_TOKEN_KEY_FILE: file })).tokenise(PAN, 0);
    expect(fromFile).toBe(fromText);
    expect(fromText).toBe(tokenWith(keyOf(text), PAN));
  });

  it('refuses a key file that does not exist or holds a short key, naming the variable and file', () => {
    const missing = join(dir, 'absent');
    expect(() => createCardTokeniser(config({ PII_TOKEN_KEY_FILE: missing }))).toThrow(
      `PII_TOKEN_KEY_FILE ${missing} does not exist`,
    );
    const short = join(dir, 'short');
    writeFileSync(short, randomBytes(16).toString('base64'));
    expect(() => createCardTokeniser(config({ PII_TOKEN_KEY_FILE: short }))).toThrow(
      new RegExp(`PII_TOKEN_KEY_FILE ${short} holds 16 bytes`),
    );
  });

  it('rotates at PII_TOKEN_KEY_FROM, and lists every inconsistent rotation setting at boot', () => {
    const previous = keyText();
    const current = keyText();
    const tokeniser = createCardTokeniser(
      config({
        PII_TOKEN_PREVIOUS_KEY: previous,
        PII_TOKEN_KEY: current,
        PII_TOKEN_KEY_FROM: '2026-02-01T00:00:00Z',
      }),
    );
    const rotation = Date.parse('2026-02-01T00:00:00Z');
    expect(tokeniser.tokenise(PAN, rotation - 1)).toBe(tokenWith(keyOf(previous), PAN));
    expect(tokeniser.tokenise(PAN, rotation)).toBe(tokenWith(keyOf(current), PAN));
    expect(issues({ PII_TOKEN_PREVIOUS_KEY: previous })).toEqual([
      'PII_TOKEN_KEY_FROM: required with a previous key: the event time from which the new key tokenises',
      'PII_TOKEN_KEY: a rotation needs the new key configured (PII_TOKEN_KEY or PII_TOKEN_KEY_FILE)',
    ]);
    expect(
      issues({
        PII_TOKEN_KEY: current,
        PII_TOKEN_KEY_FILE: '/k',
        PII_TOKEN_KEY_FROM: '2026-02-01T00:00:00Z',
      }),
    ).toEqual([
      'PII_TOKEN_KEY: set PII_TOKEN_KEY or PII_TOKEN_KEY_FILE, not both',
      'PII_TOKEN_KEY_FROM: only with PII_TOKEN_PREVIOUS_KEY[_FILE]: before it, which key would tokenise?',
    ]);
  });

  it('generates the local key once, mode 600, when no key is configured', () => {
    const file = join(dir, 'keys', 'pii-token-key');
    expect(ensureLocalTokenKey(file)).toBe(file);
    const first = readFileSync(file, 'utf8');
    ensureLocalTokenKey(file);
    expect(readFileSync(file, 'utf8')).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(first.trim(), 'base64')).toHaveLength(32);
    // The manifest signing key ring creates var/keys/local whole, by renaming a directory into place:
    // a key file there first would make that rename fail on a fresh machine.
    expect(LOCAL_TOKEN_KEY_FILE.startsWith('var/keys/local/')).toBe(false);
  });
});
