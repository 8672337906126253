import { createHmac } from 'node:crypto';
import { TokenInputError, TokenKeyError } from './pii.errors';
import type { TokenKey } from './token-key';

/** A card token: `tok_<key id, 8 hex>_<HMAC-SHA256, first 128 bits, 32 hex>`. */
const TOKEN = /^tok_([0-9a-f]{8})_([0-9a-f]{32})$/;

/**
 * A key and the event time from which it tokenises (null: from the beginning of time). A rotation
 * adds a key with a later `from`; records older than it keep the earlier key's tokens.
 */
export interface ScheduledTokenKey {
  readonly key: TokenKey;
  readonly from: number | null;
}

/**
 * Turns raw card and customer identifiers (a PAN, a bank's customer number) into tokens with a keyed
 * HMAC-SHA256: the same identifier and key always give the same token (a card's history stays
 * together), a different key gives unrelated tokens, and without the key a token can be neither
 * reversed nor recomputed from a guessed card number. The key is chosen by the record's event time
 * (never the wall clock), so a replay tokenises as the original run did, and a chargeback for a
 * payment made before a rotation carries the payment's token.
 */
export class CardTokeniser {
  private readonly schedule: readonly ScheduledTokenKey[];

  constructor(keys: readonly ScheduledTokenKey[]) {
    if (keys.length === 0) throw new TokenKeyError('missing', 'a card tokeniser needs at least one key');
    const sorted = [...keys].sort((a, b) => (a.from ?? -Infinity) - (b.from ?? -Infinity));
    if (sorted[0]?.from !== null)
      throw new TokenKeyError(
        'schedule',
        'the oldest tokenisation key must apply from the beginning (from null)',
      );
    for (let i = 1; i < sorted.length; i++) {
      const entry = sorted[i];
      const before = sorted[i - 1];
      if (entry?.from === null || entry?.from === before?.from)
        throw new TokenKeyError('schedule', 'two tokenisation keys apply from the same event time');
      if (entry?.key.keyId === before?.key.keyId)
        throw new TokenKeyError('schedule', `key ${entry?.key.keyId ?? ''} follows itself in the rotation`);
    }
    this.schedule = sorted;
  }

  /** Ids of the keys, oldest first. */
  get keyIds(): string[] {
    return this.schedule.map((s) => s.key.keyId);
  }

  /** The key that tokenises a record of this event time. */
  keyAt(eventTime: number): TokenKey {
    let chosen = this.schedule[0];
    for (const entry of this.schedule) if (entry.from === null || entry.from <= eventTime) chosen = entry;
    if (!chosen) throw new TokenKeyError('missing', 'no tokenisation key');
    return chosen.key;
  }

  /**
   * The key scheduled to follow the one of this event time, or null: during a rotation, before its
   * cutover, the key that takes over (its tokens go out alongside, so card histories carry over).
   */
  nextKeyAfter(eventTime: number): TokenKey | null {
    const current = this.keyAt(eventTime);
    const index = this.schedule.findIndex((s) => s.key === current);
    return this.schedule[index + 1]?.key ?? null;
  }

  /** The token of a raw identifier for a record of this event time (a label: its transaction's time). */
  tokenise(rawId: string, eventTime: number): string {
    return tokenWith(this.keyAt(eventTime), rawId);
  }
}

/** The token of a raw identifier under one key. */
export function tokenWith(key: TokenKey, rawId: string): string {
  if (rawId.length === 0) throw new TokenInputError('an empty card identifier cannot be tokenised');
  const mac = createHmac('sha256', key.secret).update(rawId, 'utf8').digest('hex').slice(0, 32);
  return `tok_${key.keyId}_${mac}`;
}

/** Whether a string is a card token (the shape, not who made it). */
export function isCardToken(value: string): boolean {
  return TOKEN.test(value);
}

/** The id of the key that made a token. */
export function tokenKeyId(token: string): string {
  const match = TOKEN.exec(token);
  if (!match?.[1])
    // The value is not echoed: it may be the raw identifier that was meant to be tokenised.
    throw new TokenInputError('not a card token (tok_<key id>_<32 hex digits>)');
  return match[1];
}
