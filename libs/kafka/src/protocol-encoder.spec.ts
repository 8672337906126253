import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import './kafkajs';
import { kafkajsEncoderModule, unfilledEncoder, type KafkajsProtocolEncoderClass } from './protocol-encoder';

const nodeRequire = createRequire(__filename);

/** kafkajs's own Encoder, evaluated apart from the module cache (which holds the replacement). */
function kafkajsOwnEncoder(): KafkajsProtocolEncoderClass {
  const { path } = kafkajsEncoderModule();
  const own = new Module(path) as Module & { _compile(code: string, filename: string): void };
  own.filename = path;
  own.paths = nodeRequire.resolve.paths(path) ?? [];
  own._compile(readFileSync(path, 'utf8'), path);
  return own.exports as KafkajsProtocolEncoderClass;
}

/** The Encoder's write methods, called by name with the same arguments on both encoders. */
type Encoder = Record<string, (...args: unknown[]) => unknown> & { readonly buffer: Buffer };

/** A seeded sequence of writes (every write method kafkajs's requests use, values at their edges). */
function writes(seed: number, count: number): [string, (make: () => Encoder) => unknown[]][] {
  let state = seed >>> 0;
  const next = (): number => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
  const pick = <V>(values: readonly V[]): V => values[Math.floor(next() * values.length)] as V;
  const ints = [
    0,
    1,
    -1,
    63,
    64,
    -64,
    -65,
    127,
    128,
    300,
    8191,
    8192,
    2 ** 20,
    2 ** 27,
    2 ** 31 - 1,
    -(2 ** 31),
  ];
  const strings = ['', 'k', 'card-17', 'é€😀', 'x'.repeat(700), null];
  const bytes = (): Buffer =>
    Buffer.from(Array.from({ length: Math.floor(next() * 600) }, () => next() * 256));
  // Each write draws its values once; its arguments are then made for either encoder (an inner
  // encoder is one of that encoder's class, with the same bytes).
  type Args = (make: () => Encoder) => unknown[];
  const value =
    (v: unknown): Args =>
    () => [v];
  const ops: [string, () => Args][] = [
    ['writeInt8', () => value(pick([0, 1, -128, 127]))],
    ['writeInt16', () => value(pick([0, -1, 32_767, -32_768]))],
    ['writeInt32', () => value(pick(ints))],
    ['writeUInt32', () => value(pick([0, 1, 2 ** 32 - 1, 2 ** 31]))],
    ['writeInt64', () => value(pick([0, -1, '9007199254740993', 1_767_571_200_000, 2 ** 40]))],
    ['writeDouble', () => value(pick([0, 1.5, -3e300]))],
    ['writeBoolean', () => value(next() < 0.5)],
    ['writeString', () => value(pick(strings))],
    ['writeVarIntString', () => value(pick(strings))],
    ['writeUVarIntString', () => value(pick(strings))],
    ['writeBytes', () => value(next() < 0.2 ? pick(strings) : bytes())],
    ['writeVarIntBytes', () => value(next() < 0.2 ? pick(strings) : bytes())],
    ['writeUVarIntBytes', () => value(next() < 0.2 ? pick(strings) : bytes())],
    ['writeBuffer', () => value(bytes())],
    ['writeVarInt', () => value(pick(ints))],
    ['writeUVarInt', () => value(pick([...ints, 2 ** 32 - 1]))],
    ['writeVarLong', () => value(pick([0, -1, 300, 2 ** 40, -(2 ** 35)]))],
    [
      'writeArray',
      () =>
        value(
          pick([
            [1, 2, 3],
            ['a', 'bc'],
          ]),
        ),
    ],
    [
      'writeEncoder',
      () => {
        const inner = bytes();
        return (make) => [make().writeVarIntBytes?.(inner)];
      },
    ],
    [
      'writeVarIntArray',
      () => {
        const n = pick(ints);
        return (make) => [[make().writeInt32?.(n), make().writeVarInt?.(n)], 'object'];
      },
    ],
  ];
  return Array.from({ length: count }, () => {
    const [method, draw] = pick(ops);
    return [method, draw()];
  });
}

describe(unfilledEncoder.name, () => {
  const Own = kafkajsOwnEncoder();
  const Replacement = unfilledEncoder(Own);

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    "writes kafkajs's bytes for a seeded sequence of writes (seed %i)",
    (seed) => {
      for (const initialSize of [undefined, 0, 1, 16]) {
        const own = new Own(initialSize) as unknown as Encoder;
        const replacement = new Replacement(initialSize) as unknown as Encoder;
        for (const [method, args] of writes(seed * 7919 + (initialSize ?? 99), 200)) {
          // Each side gets its own arguments (an inner encoder is one of its own class), equal in bytes.
          const ownArgs = args(() => new Own() as unknown as Encoder);
          const replacementArgs = args(() => new Replacement() as unknown as Encoder);
          own[method]?.(...ownArgs);
          replacement[method]?.(...replacementArgs);
          expect(replacement.buffer.equals(own.buffer), method).toBe(true);
        }
      }
    },
  );

  it('writes the varint of every 32-bit boundary as kafkajs does', () => {
    for (let shift = 0; shift < 32; shift++) {
      for (const value of [2 ** shift - 1, 2 ** shift, -(2 ** shift), -(2 ** shift) - 1]) {
        const own = new Own().writeVarInt(value).writeUVarInt(value);
        const replacement = new Replacement().writeVarInt(value).writeUVarInt(value);
        expect(replacement.buffer.equals(own.buffer), String(value)).toBe(true);
      }
    }
  });

  it("keeps kafkajs's static helpers and is recognised as an encoder by kafkajs's own writeEncoder", () => {
    const inner = new Replacement().writeVarInt(5);
    const outer = new Own() as unknown as Encoder;
    outer.writeEncoder?.(inner);
    expect([...outer.buffer]).toEqual([10]);
    expect((Replacement as unknown as { sizeOfVarInt(v: number): number }).sizeOfVarInt(300)).toBe(2);
  });

  it("is the Encoder kafkajs's protocol modules use once the transport's kafkajs module loaded", () => {
    const loaded = nodeRequire('kafkajs/src/protocol/encoder') as object;
    expect(Object.getOwnPropertySymbols(loaded)).toContain(Symbol.for('fraudstream.kafka.unfilledEncoder'));
    const Request = nodeRequire('kafkajs/src/protocol/request') as unknown;
    expect(Request).toBeDefined();
  });
});
