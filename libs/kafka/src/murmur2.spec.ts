import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import './kafkajs';
import { murmur2 } from './murmur2';

const nodeRequire = createRequire(__filename);

/** kafkajs's own murmur2, evaluated apart from the module cache (which holds the replacement). */
function kafkajsMurmur2(): (key: Buffer | string) => number {
  const path = nodeRequire.resolve('kafkajs/src/producer/partitioners/default/murmur2');
  const own = new Module(path) as Module & { _compile(code: string, filename: string): void };
  own.filename = path;
  own.paths = nodeRequire.resolve.paths(path) ?? [];
  own._compile(readFileSync(path, 'utf8'), path);
  return own.exports as (key: Buffer | string) => number;
}

/** A deterministic stream of keys: every length from 0 to 40, ASCII and not, strings and bytes. */
function* keys(): Generator<Buffer | string> {
  let seed = 7;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const alphabet = 'abcXYZ019-_:.~ é€😀';
  for (let length = 0; length <= 40; length++)
    for (let n = 0; n < 25; n++) {
      const ascii = Array.from({ length }, () => String.fromCharCode(32 + (next() % 95))).join('');
      yield ascii;
      yield Array.from({ length }, () => alphabet[next() % alphabet.length]).join('');
      yield Buffer.from(Array.from({ length }, () => next() % 256));
    }
}

describe('murmur2', () => {
  it("hashes every key as kafkajs's own murmur2 does", () => {
    const own = kafkajsMurmur2();
    for (const key of keys()) expect([key, murmur2(key)]).toEqual([key, own(key)]);
  });

  it("agrees with the Java client's murmur2 (Kafka's own test values)", () => {
    expect(murmur2('21')).toBe(-973932308);
    expect(murmur2('foobar')).toBe(-790332482);
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536);
    expect(murmur2('a-little-bit-longer-string')).toBe(-1486304829);
    expect(murmur2('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')).toBe(-58897971);
    expect(murmur2(Buffer.from('abc'))).toBe(479470107);
  });

  it("is the hash kafkajs's default partitioner uses once the transport's kafkajs module loaded", () => {
    const loaded = nodeRequire('kafkajs/src/producer/partitioners/default/murmur2') as object;
    expect(Object.getOwnPropertySymbols(loaded)).toContain(Symbol.for('fraudstream.kafka.murmur2'));
  });
});
