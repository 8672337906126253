import { replaceKafkajsModule } from './kafkajs-module';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * The Java client's murmur2 of a record key (its default partitioner's hash), so that every client
 * agrees on a card's partition: the same 32-bit results as kafkajs 2.2.4's `murmur2`, which computes
 * them with 64-bit Long objects (BigInt-backed) and a buffer per key: 5-7 % of the scorer's CPU
 * (docs/scorer.md, "Where the time goes"). Only the low 32 bits of its products ever reach the
 * result, so 32-bit multiplication (Math.imul) gives the same hash. A string key is hashed as its
 * UTF-8 bytes, read from the string directly when it is ASCII.
 */
export function murmur2(key: Buffer | string): number {
  if (typeof key === 'string' && isAscii(key)) return murmur2Of(key.length, (i) => key.charCodeAt(i));
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  return murmur2Of(data.length, (i) => data[i] as number);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function murmur2Of(length: number, byteAt: (i: number) => number): number {
  let h = SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = byteAt(i4) | (byteAt(i4 + 1) << 8) | (byteAt(i4 + 2) << 16) | (byteAt(i4 + 3) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= byteAt(tail + 2) << 16;
    if (rest >= 2) h ^= byteAt(tail + 1) << 8;
    h ^= byteAt(tail);
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * Puts {@link murmur2} in place of kafkajs's, before its default partitioner loads (with kafkajs
 * itself), which binds it then.
 */
export function installFastMurmur2(): void {
  const hash = (key: Buffer | string): number => murmur2(key);
  replaceKafkajsModule(
    'kafkajs/src/producer/partitioners/default/murmur2',
    hash,
    Symbol.for('fraudstream.kafka.murmur2'),
    'kafkajs/src/producer/partitioners/default/index',
  );
}
